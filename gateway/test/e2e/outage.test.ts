/** E2E 3 and 5: the broker goes away while meters keep producing readings. */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, range, seqCensus, subscribe, waitFor } from '../uplink/helpers.js';
import { configOf, rawConfig, sleep, startGateway } from './rig.js';

const test = testWith(['mosquitto']);

async function tcpSim(t: import('ava').ExecutionContext, meters: number): Promise<{ sim: Simulator; port: number }> {
  const sim = new Simulator({ profile: 'sdm630', meters, seed: 'e2e-outage' });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  return { sim, port };
}

test('broker stopped ~5 s then restarted: every seq arrives, readings stored meanwhile are historical', async (t) => {
  t.timeout(60_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const { port } = await tcpSim(t, 2);
  const gwId = 'e2e-outage';
  const gw = await startGateway(
    t,
    configOf(
      rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
        buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
        meters: [1, 2].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 200 })),
      }),
    ),
  );
  await waitFor('live readings', () => sub.readings(gwId).length >= 10);
  await broker.stop();
  const downAt = Date.now();
  await sleep(5000);
  const upAt = Date.now();
  await broker.restart();
  await waitFor('gateway reconnected', async () => (await gw.status()).uplink.connects >= 2);
  await sleep(1500);
  await gw.stop('end of test');
  const stored = new Map((await gw.status()).meters.map((m) => [m.meter, m.latest]));
  t.true(stored.size === 2);

  // The backlog comes after the reconnect: wait until the subscriber saw every seq up to the last one stored.
  const census = () => seqCensus(sub.readings(gwId));
  const maxSeq = (m: string) => Math.max(0, ...[...(census().get(m)?.keys() ?? [])]);
  await waitFor('the backlog drained to the subscriber', () => ['m1', 'm2'].every((m) => (census().get(m)?.size ?? 0) >= maxSeq(m) && maxSeq(m) > 0));
  for (const m of ['m1', 'm2']) {
    t.deepEqual([...census().get(m)!.keys()].sort((a, b) => a - b), range(1, maxSeq(m)), `${m}: every seq from 1 arrived`);
  }
  const during = sub.readings(gwId).filter((r) => r.ts > downAt + 200 && r.ts < upAt - 200);
  t.true(during.length >= 2 * 15, `readings were produced during the outage (${during.length})`);
  t.true(during.every((r) => r.historical), 'readings stored while the broker was down are replayed as historical');
});

test('full outbox with the broker absent: oldest readings dropped, readings-dropped reported with the count, no event lost', async (t) => {
  t.timeout(60_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  await broker.stop(); // the subscriber's persistent session keeps its subscription on the broker
  const { sim, port } = await tcpSim(t, 20);
  const gwId = 'e2e-full';
  const gw = await startGateway(
    t,
    configOf(
      rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
        storage: { path: join(tempDir(t), 'gw.db'), synchronous: 'normal', maxReadings: 1000 },
        buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 200 }],
        meters: range(1, 20).map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 100, retries: 0, commLostAfter: 2 })),
      }),
    ),
  );
  await waitFor('the outbox overflowed', async () => (await gw.status()).outbox.dropped >= 300, 40_000);
  sim.addFault(2, { type: 'noReply', rate: 1 }); // an event while the broker is away
  await waitFor('comm-lost stored', async () => (await gw.status()).meters.some((m) => m.meter === 'm2' && m.state === 'lost'));
  await gw.stop('end of test');
  await sim.close(); // no new readings from here on: the restarted gateway only forwards the backlog
  const gw2 = await startGateway(t, gw.config);
  const before = (await gw2.status()).outbox;
  t.true(before.readings <= 1000, `bounded: ${before.readings} rows`);
  await broker.restart();
  await waitFor('outbox empty', async () => {
    const s = (await gw2.status()).outbox;
    return s.readings === 0 && s.events === 0 && (await gw2.status()).uplink.inflight === 0;
  }, 30_000);
  await sleep(500);
  const events = sub.on(`${PREFIX}/${gwId}/events`).map((e) => e.json as { id: number; type: string; meter?: string; data: { count?: number; total?: number } });
  const dropped = events.filter((e) => e.type === 'readings-dropped');
  t.true(dropped.length >= 1, 'readings-dropped published');
  t.is(dropped.reduce((a, e) => a + (e.data.count ?? 0), 0), before.dropped, 'the counts add up to what the outbox dropped');
  t.true(events.some((e) => e.type === 'comm-lost' && e.meter === 'm2'), 'the comm-lost event survived the full outbox');
  t.true(events.some((e) => e.type === 'gateway-started'), 'the first gateway-started survived too');
  const ids = events.map((e) => e.id);
  t.deepEqual(ids, [...ids].sort((a, b) => a - b), 'events in order');
  t.deepEqual(ids, range(ids[0]!, ids.at(-1)!), 'event ids contiguous: none lost');
  // Oldest dropped: what arrived per meter is the newest stretch of seqs, with no hole inside it.
  for (const [m, seqs] of seqCensus(sub.readings(gwId))) {
    const s = [...seqs.keys()].sort((a, b) => a - b);
    t.true(s[0]! > 1, `${m}: the oldest readings were dropped (first seq received ${s[0]})`);
    t.deepEqual(s, range(s[0]!, s.at(-1)!), `${m}: no hole among the kept readings`);
  }
});
