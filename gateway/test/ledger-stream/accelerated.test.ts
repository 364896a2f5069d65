/**
 * Issue 15, item 3 (c) and item 7 (the head end's rebuild): simulated time at 120x (the simulator's
 * ScaledClock drives the meters and the gateway alike), across a local midnight (standing charges),
 * with two broker outages and signed top-ups. Rebuild from the stream = the ledger, to the sub-unit,
 * and the ledger's own replay check agrees.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ScaledClock, Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { signCommand } from '../../src/core/commands/keys.js';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { publicPem, utilityKey } from '../commands/fixtures.js';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, subscribe, waitFor } from '../uplink/helpers.js';
import { openGatewayDb } from '../e2e/gateway-db.js';
import { configOf, rawConfig, sleep, startGateway } from '../e2e/rig.js';
import { assertRebuildEqualsLedger, creditFor, ledgerTruth, rebuildOf, seqConflicts, STEEP } from './stream-rig.js';

const SPEED = 120;
/** Simulated minutes per real second: 2. */
const MIN = 60_000;

testWith(['mosquitto'])(`accelerated (${SPEED}x) across midnight with two broker outages and top-ups: rebuild from the stream = ledger, to the sub-unit`, async (t) => {
  t.timeout(90_000);
  // 25 simulated minutes (12 s real) before midnight: room for a slow start on a busy machine.
  const clock = new ScaledClock(Date.UTC(2026, 2, 14, 23, 35), SPEED);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const meters = ['p1', 'p2', 'p3'];
  const sim = new Simulator({ profile: 'prepaid', meters: meters.length, seed: 'stream-fast', clock });
  meters.forEach((_, i) => sim.setLoad(i + 1, { type: 'constant', watts: 1500 + 1700 * i }));
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const gwId = 'stream-fast';
  const path = join(tempDir(t), 'gw.db');
  const credit = creditFor(meters, 200_000, 5 * MIN, [{ keyId: 'utility-1', publicKey: publicPem(utilityKey) }]);
  const raw = rawConfig(gwId, path, broker.url, {
    gateway: { id: gwId, timezone: 'UTC' },
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
    meters: meters.map((m, i) => ({ id: m, bus: 'tcp1', unit: i + 1, profile: 'prepaid', pollMs: MIN / 2 })),
    credit: { ...credit, tariffs: { steep: { ...STEEP, standingChargePerDay: 730 } } },
  });
  // Simulated time for the uplink too: keep its timers (backoff, health) sane at this speed.
  Object.assign(raw.mqtt as Record<string, unknown>, { reconnectMinMs: 20_000, reconnectMaxMs: 60_000, healthIntervalMs: 3_600_000 });
  const gw = await startGateway(t, configOf(raw), { clock });
  const topUp = async (i: number) => {
    const now = clock.now();
    const cmd = signCommand({ id: randomUUID(), type: 'topup', meter: meters[i % meters.length]!, amount: 7000 + i, currency: 'EUR', issuedAt: now - MIN, expiresAt: now + 600 * MIN }, utilityKey, 'utility-1');
    await sub.client.publishAsync(`${PREFIX}/${gwId}/commands`, JSON.stringify(cmd), { qos: 1 });
  };

  await waitFor('the stream carries consumption', () => (rebuildOf(sub, gwId).summary().applied ?? 0) > 3, 20_000);
  for (let round = 0; round < 2; round++) {
    await topUp(round * 2);
    await sleep(2500);
    await broker.stop();
    await sleep(3000); // 6 simulated minutes of charging with nowhere to send it
    await broker.restart();
    await topUp(round * 2 + 1);
    await waitFor(`reconnected after outage ${round + 1}`, async () => (await gw.status()).uplink.connects >= round + 2, 20_000);
  }
  await sleep(4000);
  meters.forEach((_, i) => sim.addFault(i + 1, { type: 'noReply', rate: 1 })); // no new readings: the ledger goes quiet
  const g = await openGatewayDb(t, path);
  const quiet = await ledgerTruth(g);
  await waitFor('the stream caught up', () => rebuildOf(sub, gwId).lastSeq() >= quiet.entries, 20_000).catch(() => undefined);
  await waitFor('the status shows the stream delivered', async () => (await gw.status()).ledgerStream?.delivered.seq === quiet.entries, 10_000).catch(() => undefined);
  t.deepEqual((await gw.status()).ledgerStream?.delivered.seq, quiet.entries, "the gateway's status: every entry acknowledged by the broker");
  await sleep(1000);
  await gw.stop('end of test');
  const simulatedMin = Math.round((clock.now() - clock.startMs) / MIN);

  const truth = await ledgerTruth(g);
  const r = await assertRebuildEqualsLedger(t, sub, gwId, truth);
  t.deepEqual(seqConflicts(sub, gwId), []);
  t.true((truth.kinds.get('standing-charge') ?? 0) >= meters.length, `midnight passed: a standing charge per meter (${JSON.stringify([...truth.kinds])})`);
  t.is(truth.kinds.get('topup'), 4, 'the four top-ups applied, once each');
  const ledger = await openLedger(path, { synchronous: 'normal' });
  t.teardown(() => ledger.close());
  t.true((await ledger.verify()).ok, "the ledger's own replay agrees with its balances");
  t.log(`${simulatedMin} simulated minutes; ${truth.entries} entries (${[...truth.kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); ${r.summary().duplicates} duplicates dropped; balances ${JSON.stringify([...truth.balances])}`);
});
