/**
 * Demand charges (tariff demandCharge) on the real firmware meter and the SQLite ledger: the
 * billing month's maximum 15-minute demand is charged per kW when the month ends, once.
 */
import test from 'ava';
import { assertLedgerReconciles, creditRig } from './rig.js';
import { demandStep } from '../../../src/core/tariff/demand.js';
import { oneAccount, policyWith } from './one-account.js';

const MIN = 60_000;
const TARIFF = { id: 'dem', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 100 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0, demandCharge: { pricePerKw: 2000, periodMinutes: 15 } };

test('demand charge: the month\'s highest 15-min average (6 kW for 30 min) is charged at 2000 per kW when the month ends', async (t) => {
  const rig = await creditRig(t, {
    start: Date.UTC(2026, 0, 31, 22, 0, 30),
    pollMs: MIN,
    watts: 3000,
    credit: oneAccount(policyWith(), 1_000_000, TARIFF),
  });
  await rig.poll();
  await rig.run(60 * MIN);
  rig.sim.setLoad(1, { type: 'constant', watts: 6000 });
  await rig.run(30 * MIN);
  rig.sim.setLoad(1, { type: 'constant', watts: 3000 });
  await rig.run(60 * MIN); // past midnight UTC: January ends
  const demand = (await rig.credit.ledger.entries('p1')).filter((e) => e.kind === 'standing-charge' && e.cause.charge === 'demand');
  t.is(demand.length, 1, 'one demand charge for January');
  const c = demand[0]!;
  t.like(c.cause, { month: '2026-01', pricePerKw: 2000, tariff: 'dem' });
  const maxW = c.cause.maxDemandW as number;
  t.true(Math.abs(maxW - 6000) <= 60, `max demand ${maxW} W`);
  t.is(c.amount, -Math.round((maxW * 2000) / 1000));
  await rig.run(30 * MIN);
  t.is((await rig.credit.ledger.entries('p1')).filter((e) => e.cause.charge === 'demand').length, 1, 'charged once');
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('demandStep: a gap (failed reads) lowers the average, never raises it; a new month charges the old one', (t) => {
  const rule = { pricePerKw: 1000, periodMinutes: 15 };
  const T = Date.UTC(2026, 0, 31, 22);
  let s = demandStep(undefined, rule, T, 0, '2026-01');
  s = demandStep(s.cursor, rule, T + 15 * MIN, 1000, '2026-01'); // 4 kW
  t.is(s.cursor.maxW, 4000);
  // 45 min without readings, 2000 Wh in it: 2.67 kW average, not a new maximum
  s = demandStep(s.cursor, rule, T + 60 * MIN, 3000, '2026-01');
  t.is(s.cursor.maxW, 4000);
  s = demandStep(s.cursor, rule, T + 120 * MIN, 4000, '2026-02');
  t.deepEqual(s.charge, { month: '2026-01', maxDemandW: 4000, pricePerKw: 1000, amount: 4000 });
  t.is(s.cursor.maxW, 0);
});
