/**
 * A meter whose energy register starts again (firmware memory lost: powered down, non-volatile
 * state wiped, booted fresh at its commissioning value) is never charged for the jump. The poller
 * confirms the new counter over 3 polls and raises counter-reset; the engine re-baselines.
 *
 * (The simulator's `counterReset` fault resets the physics counters, which the firmware meter does
 * not see: its register counts S0 pulses. Losing the firmware's memory is how a `prepaid` meter's
 * register really goes back.)
 */
import test from 'ava';
import { allEntries, assertLedgerReconciles, creditRig } from './rig.js';
import { KEYS } from './signer.js';

const MIN = 60_000;
const START = Date.UTC(2026, 0, 5, 12);
const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };

test('a counter that starts again is re-baselined: the charge is the energy used, never the jump', async (t) => {
  const policy = { id: 'p', lowCreditThresholds: [1500, 600], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 } };
  const rig = await creditRig(t, {
    credit: { tariffs: { flat: FLAT }, policies: { p: policy }, classes: { r: { tariff: 'flat', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance: 1_000_000 }], keys: KEYS },
    watts: 1200,
  });
  await rig.run(60 * MIN);
  const before = rig.readings.at(-1)!.values.energyImport!;
  const first = rig.readings[0]!.values.energyImport!;

  // Power cut; while it is off the firmware's memory is wiped; it boots fresh when power returns.
  const since = rig.clock.now() - START;
  rig.sim.addFault(1, { type: 'powerLoss', from: since + 1000, until: since + 20_000 });
  rig.clock.advance(2000);
  rig.meter(1).sync();
  t.is(rig.meter(1).firmware, undefined, 'powered down');
  rig.meter(1).storage.slots[0] = undefined;
  rig.meter(1).storage.slots[1] = undefined;
  await rig.run(60 * MIN);

  const resets = rig.eventsOf('counter-reset', 'p1');
  t.is(resets.length, 1, 'confirmed once by acquisition');
  const after = resets[0]!.data as { from: number; to: number };
  t.true(after.to < before - 1000, `the register went back (${before} -> ${after.to})`);
  t.is(rig.eventsOf('counter-rebaselined', 'p1').length, 1);
  t.like(rig.eventsOf('counter-rebaselined', 'p1')[0]!.data, { charged: 0 });

  const last = rig.readings.at(-1)!.values.energyImport!;
  const rebase = rig.readings.find((r) => r.ts === resets[0]!.ts)!.values.energyImport!;
  const consumption = (await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'consumption');
  const chargedWh = consumption.reduce((s, e) => s + ((e.cause.toWh as number) - (e.cause.fromWh as number)), 0);
  t.true(consumption.every((e) => (e.cause.toWh as number) > (e.cause.fromWh as number) && (e.cause.toWh as number) - (e.cause.fromWh as number) < 2000), 'no entry spans the reset');
  t.is(chargedWh, before - first + (last - rebase), 'charged: the energy seen before the reset plus after the new baseline');
  // 2 h at 1.2 kW = 2400 Wh used; the polls that confirmed the reset (and the cut) are not charged.
  t.true(chargedWh <= 2400 && chargedWh >= 2400 - 4 * 20, `charged Wh ${chargedWh} ~ energy used, not the jump`);
  const charged = consumption.reduce((s, e) => s - e.amount, 0);
  t.true(Math.abs(charged - chargedWh * 0.3) < 1, `charged ${charged} milli-EUR for ${chargedWh} Wh`);
  t.is((await rig.credit.ledger.account('p1'))!.balance, 1_000_000 - charged);
  await assertLedgerReconciles(t, rig.credit.ledger);
});
