/** E2E 4 and 6: the real CLI in a child process. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, range, subscribe, waitFor } from '../uplink/helpers.js';
import { CLI, rawConfig, runCli, sleep } from './rig.js';

testWith(['mosquitto'])('CLI SIGKILLed mid-forwarding and restarted on the same DB: no seq missing, none reused; LWT offline', async (t) => {
  t.timeout(60_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const sim = new Simulator({ profile: 'sdm630', meters: 3, seed: 'e2e-kill' });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const dir = tempDir(t);
  const gwId = 'e2e-kill';
  const raw = rawConfig(gwId, join(dir, 'gw.db'), broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
    meters: [1, 2, 3].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 100 })),
  });
  const status = () => sub.on(`${PREFIX}/${gwId}/status`).map((m) => m.json.state);
  const first = runCli(t, dir, raw);
  await waitFor('readings flowing from the first process', () => sub.readings(gwId).length >= 30);
  first.proc.kill('SIGKILL');
  await first.exited;
  const killedAfter = sub.readings(gwId).length;
  await waitFor('LWT offline after the kill', () => status().at(-1) === 'offline', 20_000);

  const second = runCli(t, dir, raw);
  await waitFor('online again', () => status().at(-1) === 'online');
  await waitFor('readings flowing from the second process', () => sub.readings(gwId).length >= killedAfter + 30);
  second.proc.kill('SIGTERM');
  t.is(await second.exited, 0, `clean exit on SIGTERM\n${second.stderr()}`);
  await sleep(300);

  for (const m of ['m1', 'm2', 'm3']) {
    const rs = sub.readings(gwId).filter((r) => r.meter === m);
    const bySeq = new Map<number, string>();
    for (const r of rs) {
      const v = JSON.stringify([r.ts, r.values]);
      const seen = bySeq.get(r.seq);
      t.true(seen === undefined || seen === v, `${m} seq ${r.seq} reused for different values`);
      bySeq.set(r.seq, v);
    }
    const seqs = [...bySeq.keys()].sort((a, b) => a - b);
    t.deepEqual(seqs, range(1, seqs.at(-1)!), `${m}: no seq missing across the kill`);
  }
});

test('`prepaid-gateway config check` on a bad file exits non-zero and names the field path', (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    [
      'gateway: { id: gw-bad }',
      'storage: { path: ./gw.db }',
      'mqtt: { url: mqtt://127.0.0.1:1883 }',
      'buses: [{ id: b1, type: tcp, host: 127.0.0.1, port: 5020 }]',
      'meters: [{ id: m1, bus: b1, unit: 300, profile: sdm630 }]',
      '',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [CLI, 'config', 'check', bad], { encoding: 'utf8', timeout: 30_000 });
  t.not(r.status, 0);
  t.regex(r.stderr, /meters\[0\]\.unit/);
  t.regex(r.stderr, /E_CONFIG_INVALID/);

  const good = join(dir, 'good.yaml');
  writeFileSync(good, YAMLish());
  const ok = spawnSync(process.execPath, [CLI, 'config', 'check', good], { encoding: 'utf8', timeout: 30_000 });
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout, /ok \(1 buses, 1 meters\)/);
});

function YAMLish(): string {
  return 'gateway: { id: gw-ok }\nstorage: { path: ./gw.db }\nmqtt: { url: mqtt://127.0.0.1:1883 }\nbuses: [{ id: b1, type: tcp, host: 127.0.0.1, port: 5020 }]\nmeters: [{ id: m1, bus: b1, unit: 1, profile: sdm630 }]\n';
}
