/**
 * Load limiting (policy maxDemand) on the real firmware meter over Modbus TCP with the SQLite
 * ledger: over the limit for overSeconds opens the relay, reconnectSeconds later the rules close
 * it again; a failed read never trips.
 */
import test from 'ava';
import { assertLedgerReconciles, creditRig } from './rig.js';
import { oneAccount, policyWith } from './one-account.js';

const SEC = 1000;
const MIN = 60 * SEC;
const credit = () => oneAccount(policyWith({ maxDemand: { limitW: 3000, overSeconds: 60, reconnectSeconds: 300 } }), 100_000);

test('max demand: 60 s over 3 kW opens the relay (max-demand), 5 min later it closes again', async (t) => {
  const rig = await creditRig(t, { credit: credit(), pollMs: 20 * SEC, watts: 2000 });
  await rig.run(2 * MIN);
  t.true(rig.relayClosed(1));
  rig.sim.setLoad(1, { type: 'constant', watts: 4200 });
  await rig.run(40 * SEC);
  t.true(rig.relayClosed(1), '40 s over the limit: not yet');
  await rig.run(40 * SEC);
  t.false(rig.relayClosed(1), 'over 60 s: open');
  const [ex] = rig.eventsOf('max-demand-exceeded', 'p1');
  t.like(ex?.data, { cause: 'max-demand', limitW: 3000, peakW: 4200 });
  t.true((ex!.data!.overMs as number) >= 60 * SEC);
  t.like(rig.eventsOf('tripped', 'p1')[0]?.data, { cause: 'override: max-demand' });
  rig.sim.setLoad(1, { type: 'constant', watts: 1500 }); // the customer switched something off
  await rig.run(4 * MIN);
  t.false(rig.relayClosed(1), 'still within the 5 min');
  await rig.run(1 * MIN + 20 * SEC);
  t.true(rig.relayClosed(1), 'reconnected after 5 min: credit remains');
  await rig.run(3 * MIN);
  t.true(rig.relayClosed(1), 'under the limit: stays closed');
  t.is(rig.eventsOf('max-demand-exceeded').length, 1);
  t.deepEqual(rig.relayWrites(1).coil, [false, true]);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('max demand: a meter that does not answer never trips, whatever its load', async (t) => {
  const rig = await creditRig(t, { credit: credit(), pollMs: 20 * SEC, watts: 2000, timeoutMs: 200 });
  await rig.run(1 * MIN);
  rig.sim.setLoad(1, { type: 'constant', watts: 6000 });
  rig.sim.addFault(1, { type: 'noReply' });
  await rig.run(5 * MIN);
  t.is(rig.eventsOf('max-demand-exceeded').length, 0);
  t.deepEqual(rig.relayWrites(1).coil, []);
  // answering again: the first over reading starts the count, it does not trip at once
  rig.sim.clearFaults(1);
  await rig.run(40 * SEC);
  t.is(rig.eventsOf('max-demand-exceeded').length, 0);
  await rig.run(40 * SEC);
  t.is(rig.eventsOf('max-demand-exceeded').length, 1);
});
