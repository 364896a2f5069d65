/** The gateway process dies (SIGKILL): the last will says so, and a restart loses nothing and reuses no seq. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import type { MqttConfig } from '../../src/core/config/gateway-config.js';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, mqttCfg, range, seqCensus, subscribe, waitFor } from './helpers.js';

const test = testWith(['mosquitto']);
const script = fileURLToPath(new URL('./fixtures/forwarder.js', import.meta.url));

interface Child {
  proc: ChildProcess;
  lines: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function forwarder(t: ExecutionContext, args: { db: string; gw: string; mqtt: MqttConfig; append: number; meters: string[]; exitWhenDrained: boolean }): Child {
  const proc = spawn(process.execPath, [script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    if (stderr) t.log(stderr);
  });
  return { proc, lines, exited };
}

test('LWT: when the gateway process is SIGKILLed the broker publishes status offline (retained)', async (t) => {
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const gw = 'gw-lwt';
  const child = forwarder(t, { db: join(tempDir(t), 'o.db'), gw, mqtt: mqttCfg(broker.url, { clientId: 'gw-lwt' }), append: 0, meters: [], exitWhenDrained: false });
  const status = () => sub.on(`${PREFIX}/${gw}/status`);
  await waitFor('online status', () => status().some((m) => m.json.state === 'online'));
  child.proc.kill('SIGKILL');
  await child.exited;
  await waitFor('offline status from the will', () => status().some((m) => m.json.state === 'offline'));
  t.like(status().at(-1)!.json, { state: 'offline', reason: 'connection-lost', version: 'test' });
  const late = await subscribe(t, broker.url);
  await waitFor('retained status', () => late.on(`${PREFIX}/${gw}/status`).length > 0);
  t.like(late.on(`${PREFIX}/${gw}/status`)[0], { retain: true, json: { state: 'offline', reason: 'connection-lost' } });
});

test('SIGKILL mid-forwarding, then restart: every seq arrives, none is reused', async (t) => {
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const gw = 'gw-crash';
  const db = join(tempDir(t), 'outbox.db');
  const mqtt = mqttCfg(broker.url, { clientId: 'gw-crash', batchSize: 10, inflight: 2 });
  const meters = ['m1', 'm2', 'm3'];

  const first = forwarder(t, { db, gw, mqtt, append: 3000, meters, exitWhenDrained: false });
  await waitFor('forwarding under way', () => sub.readings(gw).length >= 300);
  first.proc.kill('SIGKILL');
  await first.exited;
  const beforeRestart = sub.readings(gw).length;

  const second = forwarder(t, { db, gw, mqtt, append: 600, meters, exitWhenDrained: true });
  t.is(await second.exited, 0);
  const done = second.lines.find((l) => l.done) as { seqs: Record<string, number> } | undefined;
  t.truthy(done, 'the restarted forwarder drained its outbox and stopped cleanly');
  t.true(sub.readings(gw).length > beforeRestart);
  await waitFor('the broker delivered everything acknowledged', () => {
    const c = seqCensus(sub.readings(gw));
    return meters.every((m) => c.get(m)?.size === done!.seqs[m]);
  });

  const census = seqCensus(sub.readings(gw));
  for (const m of meters) {
    t.deepEqual([...census.get(m)!.keys()].sort((a, b) => a - b), range(1, done!.seqs[m]!), `${m}: seqs 1..${done!.seqs[m]} all arrived`);
  }
  // A reused seq would arrive twice with different values (they are random per reading).
  const bySeq = new Map<string, string>();
  const reused: string[] = [];
  for (const r of sub.readings(gw)) {
    const k = `${r.meter}/${r.seq}`;
    const v = JSON.stringify([r.ts, r.values]);
    if ((bySeq.get(k) ?? v) !== v) reused.push(k);
    bySeq.set(k, v);
  }
  t.deepEqual(reused, [], 'every seq always carries the same reading');
  t.true(done!.seqs.m1! > 200, 'seqs continued from the first run');
  t.true(sub.readings(gw).length >= bySeq.size);
  t.log(`${beforeRestart} readings received before the kill; ${sub.readings(gw).length} copies of ${bySeq.size} readings in all`);
});
