/**
 * TCK send data, store and forward, with real processes: `prepaid-gateway run` (beside mode) polls
 * simulated meters; mosquitto stops; polling goes on; the gateway process is SIGKILLed and started
 * again while the broker is down; mosquitto comes back. The host (Tahu's decoder) must see the new
 * NBIRTH and DBIRTHs first, then every reading stored during the outage exactly once, in order,
 * as historical DDATA with its original timestamp, then live DDATA not flagged historical.
 * The JSON contract, delivered from the same outbox, is the oracle of what was stored.
 */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { subscribe, waitFor } from '../uplink/helpers.js';
import { rawConfig, runCli, sleep } from '../e2e/rig.js';
import { num, startHost, type SpMessage } from './host.js';

const test = testWith(['mosquitto']);

const historicalFlags = (m: SpMessage): boolean[] => (m.payload.metrics ?? []).map((x) => x.isHistorical === true);

test('TCK send data, store and forward from the durable outbox: outage + gateway restart while down -> births, then every stored reading in order as historical DDATA, then live DDATA', async (t) => {
  t.timeout(120_000);
  // The host's session and QoS 0 queue survive the broker restart, so it cannot miss the births by reconnecting late.
  const broker = await startMosquitto(t, { extraConf: ['queue_qos0_messages true'] });
  const host = await startHost(t, broker.url, 'plant', { clean: false });
  const sub = await subscribe(t, broker.url);
  const sim = new Simulator({ profile: 'sdm630', meters: 2, seed: 'spb-sf' });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const dir = tempDir(t);
  const gwId = 'spb-sf';
  const raw = rawConfig(gwId, join(dir, 'gw.db'), broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 500 }],
    meters: [1, 2].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 200 })),
    sparkplug: { groupId: 'plant', edgeNodeId: gwId },
  });
  const first = runCli(t, dir, raw);
  await waitFor('NBIRTH, DBIRTHs and JSON readings', () => host.of('NBIRTH').length >= 1 && host.of('DBIRTH').length >= 2 && sub.readings(gwId).length > 10, 30_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${first.stderr()}`);
  });

  // A reconnect under load before the outage means another NBIRTH: count the sessions seen so far.
  const birthsBefore = host.of('NBIRTH').length;
  await broker.stop();
  const outageFrom = Date.now();
  await sleep(2500);
  first.proc.kill('SIGKILL');
  await first.exited;
  const second = runCli(t, dir, raw);
  await sleep(3000); // the new process polls and stores with no broker
  const outageTo = Date.now();
  await broker.restart();

  await waitFor('a new NBIRTH after the outage', () => host.of('NBIRTH').length > birthsBefore, 30_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${second.stderr()}`);
  });
  const start = host.messages.indexOf(host.of('NBIRTH')[birthsBefore]!);
  const liveAfter = () => host.messages.slice(start).filter((m) => m.type === 'DDATA' && !historicalFlags(m).includes(true));
  await waitFor('live DDATA of both meters after the replay', () => ['m1', 'm2'].every((d) => liveAfter().some((m) => m.device === d)), 30_000);
  // The JSON oracle: every reading stored during the outage (both processes) has come on the JSON topics too.
  const stored = () => sub.readings(gwId).filter((r) => r.ts > outageFrom + 500 && r.ts < outageTo);
  await waitFor('the JSON topics delivered the outage', () => stored().length > 5 && sub.readings(gwId).some((r) => r.ts > outageTo + 1000), 45_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${stored().length} JSON readings from the outage, newest JSON reading ${Math.max(0, ...sub.readings(gwId).map((r) => r.ts)) - outageTo} ms after it\n${second.stderr()}`);
  });

  // One session: from the NBIRTH after the outage to the next one, if the link dropped again later.
  const after = host.messages.slice(start + 1);
  const nextBirth = after.findIndex((m) => m.type === 'NBIRTH');
  const session = host.messages.slice(start, nextBirth < 0 ? undefined : start + 1 + nextBirth);
  t.deepEqual(session.slice(0, 3).map((m) => m.type), ['NBIRTH', 'DBIRTH', 'DBIRTH'], 'births first');
  t.deepEqual(session.slice(1, 3).map((m) => m.device).sort(), ['m1', 'm2'], 'one DBIRTH per meter');
  const data = session.slice(3).filter((m) => m.type === 'DDATA');
  const firstLive = data.findIndex((m) => !historicalFlags(m).includes(true));
  t.true(firstLive > 0, 'historical DDATA precede the live ones');
  const historical = data.slice(0, firstLive);
  t.true(historical.every((m) => historicalFlags(m).every(Boolean) && m.qos === 1), 'historical DDATA: every metric is_historical; QoS 1 (their PUBACK marks them delivered)');
  t.true(data.slice(firstLive).every((m) => !historicalFlags(m).includes(true)), 'nothing historical after live data');
  const seqs = session.map((m) => m.seq);
  t.deepEqual(seqs, seqs.map((_, i) => i % 256), 'one seq sequence from the NBIRTH on');

  // Every outage reading exactly once, in order, with its original timestamp and values.
  const got = historical.map((m) => ({ meter: m.device!, ts: num(m.metric('energyImport')!.timestamp), energy: num(m.metric('energyImport')!.value) }));
  const key = (x: { meter: string; ts: number }) => `${x.meter}@${x.ts}`;
  t.is(new Set(got.map(key)).size, got.length, 'no reading twice');
  for (const d of ['m1', 'm2']) {
    const ts = got.filter((g) => g.meter === d).map((g) => g.ts);
    t.deepEqual(ts, [...ts].sort((a, b) => a - b), `${d}: in order`);
  }
  const json = new Map(sub.readings(gwId).map((r) => [key(r), r]));
  const missing = stored().filter((r) => !got.some((g) => key(g) === key(r)));
  t.deepEqual(missing.map(key), [], 'every reading stored during the outage came as historical DDATA');
  t.true(got.every((g) => json.get(key(g))?.values['energyImport'] === g.energy), 'the values stored, at their original timestamps');
  t.true(got.length >= stored().length);
  t.log(`historical DDATA: ${got.length}; JSON readings stored in the outage window: ${stored().length}`);
  const kills = second.proc.kill('SIGTERM');
  t.true(kills);
  await second.exited;
});
