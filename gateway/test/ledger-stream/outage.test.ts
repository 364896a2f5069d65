/**
 * Issue 15, item 3 (a): ledger entries made while the broker is down are forwarded after the
 * reconnect, in seq order, none missing; the head end's rebuild equals the ledger. A real mosquitto,
 * an in-process gateway charging two simulated prepaid meters every 500 ms.
 */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { subscribe, waitFor } from '../uplink/helpers.js';
import { openGatewayDb } from '../e2e/gateway-db.js';
import { configOf, rawConfig, sleep, startGateway } from '../e2e/rig.js';
import { assertRebuildEqualsLedger, creditFor, firstArrivals, ledgerMessages, ledgerTruth } from './stream-rig.js';

testWith(['mosquitto'])('broker down ~3 s while charging goes on: the entries made meanwhile arrive after the reconnect, in seq order, none missing; rebuild = ledger', async (t) => {
  t.timeout(60_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const sim = new Simulator({ profile: 'prepaid', meters: 2, seed: 'stream-outage' });
  for (const u of [1, 2]) sim.setLoad(u, { type: 'constant', watts: 4000 + u * 1000 });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const gwId = 'stream-outage';
  const dir = tempDir(t);
  const path = join(dir, 'gw.db');
  const gw = await startGateway(
    t,
    configOf(
      rawConfig(gwId, path, broker.url, {
        buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
        meters: [1, 2].map((u) => ({ id: `p${u}`, bus: 'tcp1', unit: u, profile: 'prepaid', pollMs: 200 })),
        credit: creditFor(['p1', 'p2'], 1_000_000, 500),
      }),
    ),
  );
  const received = () => ledgerMessages(sub, gwId).flatMap((m) => m.entries);
  await waitFor('consumption entries on the ledger topic', () => received().filter((e) => e.kind === 'consumption').length >= 4, 20_000);
  const g = await openGatewayDb(t, path);
  const lastIdBefore = async () => (await g.all<{ id: number | null }>('SELECT max(id) AS id FROM ledger_entries'))[0]!.id ?? 0;

  await broker.stop();
  const downAt = await lastIdBefore();
  await sleep(3000);
  const madeDuring = (await lastIdBefore()) - downAt;
  const heardDuringOutage = received().length;
  await broker.restart();
  await waitFor('the gateway reconnected', async () => (await gw.status()).uplink.connects >= 2, 20_000);
  await sleep(1000);
  await gw.stop('end of test');

  const truth = await ledgerTruth(g);
  t.true(madeDuring >= 6, `entries were made while the broker was down (${madeDuring})`);
  await assertRebuildEqualsLedger(t, sub, gwId, truth);
  const order = firstArrivals(sub, gwId);
  t.deepEqual(order, Array.from({ length: truth.entries }, (_, i) => i + 1), 'each seq first arrived in seq order');
  const during = received().filter((e) => e.id > downAt);
  t.true(during.length >= madeDuring, 'the entries of the outage arrived');
  t.true(received().length > heardDuringOutage, 'after the reconnect');
  t.true((truth.kinds.get('adjustment') ?? 0) === 2 && (truth.kinds.get('consumption') ?? 0) > 0, `opening balances and consumption streamed: ${JSON.stringify([...truth.kinds])}`);
  t.log(`${truth.entries} entries (${madeDuring} during the outage), ${received().length} received (${received().length - truth.entries} duplicates)`);
});
