/**
 * Friendly (non-disconnect) periods on real parts, in Europe/Dublin: credit running out inside a
 * night window or a weekend never trips; the usage meanwhile is booked as debt; the trip comes when
 * the period ends, at the local time the policy names, across the spring-forward weekend too.
 */
import test from 'ava';
import { assertLedgerReconciles, creditRig, type Rig } from './rig.js';
import { KEYS } from './signer.js';

const ZONE = 'Europe/Dublin';
const MIN = 60_000;
const HOUR = 60 * MIN;
const POLL = 15 * MIN;
/** 0.300 EUR/kWh: 1 Wh costs 0.3 milli-EUR. */
const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
const FRIENDLY = {
  id: 'nights-and-weekends',
  lowCreditThresholds: [1500, 600],
  emergencyCredit: null,
  friendly: {
    windows: [
      { from: '22:00', to: '08:00' },
      { days: ['saturday', 'sunday'], from: '00:00', to: '00:00' },
    ],
    holidays: [],
  },
  disconnectNoticeMs: 0,
  maxDebt: 0,
  reconnect: { mode: 'auto', threshold: 100 },
};

function credit(openingBalance: number) {
  return {
    tariffs: { flat: FLAT },
    policies: { friendly: FRIENDLY },
    classes: { residential: { tariff: 'flat', policy: 'friendly' } },
    accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance }],
    keys: KEYS,
  };
}

/** When the constant-load meter's credit ran out, from its first reading (0.3 milli-EUR per Wh). */
function exhaustion(rig: Rig, balance: number, watts: number): number {
  const first = rig.readings[0]!;
  return first.ts + ((balance / 0.3) * 3_600_000) / watts;
}

async function entriesOf(rig: Rig, kind: string) {
  return (await rig.credit.ledger.entries('p1')).filter((e) => e.kind === kind);
}

test('credit out at 23:00 on a weekday night: no trip until the night window ends at 08:00', async (t) => {
  // Wednesday 2026-03-04 12:00 (GMT, Dublin = UTC); 6600 milli-EUR = 22 kWh = 11 h at 2 kW.
  const rig = await creditRig(t, { credit: credit(6600), timezone: ZONE, start: Date.UTC(2026, 2, 4, 12), pollMs: POLL, watts: 2000 });
  await rig.poll();
  const out = exhaustion(rig, 6600, 2000);
  t.is(out, Date.UTC(2026, 2, 4, 23));
  const morning = Date.UTC(2026, 2, 5, 8);
  await rig.run(morning - rig.clock.now() - MIN);
  t.true(rig.relayClosed(1), 'still supplied at 07:59');
  t.is(rig.eventsOf('tripped').length, 0);
  const zero = rig.eventsOf('friendly-period-zero-credit', 'p1');
  t.is(zero.length, 1, 'the customer is told once that credit is gone but supply stays');
  t.is((zero[0]!.data as { until: number }).until, morning);
  t.true((await rig.credit.ledger.account('p1'))!.balance < -2000, 'the night used became debt');
  t.true((await entriesOf(rig, 'friendly-debt')).length > 0, 'booked as friendly-period debt');

  await rig.run(2 * POLL);
  const tripped = rig.eventsOf('tripped', 'p1');
  t.is(tripped.length, 1);
  t.true(tripped[0]!.ts >= morning && tripped[0]!.ts <= morning + POLL, `trip when the window ends (${new Date(tripped[0]!.ts).toISOString()})`);
  t.false(rig.relayClosed(1));
  // 9 h of night at 2 kW = 18 kWh = 5400 milli-EUR of debt (within one poll's rounding).
  const debt = -(await rig.credit.ledger.account('p1'))!.balance;
  t.true(debt >= 5390 && debt <= 5400 + 150, `debt ${debt}`);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('credit out on Saturday: weekend then Sunday night protect; the trip comes at 08:00 Irish summer time on Monday (07:00 UTC)', async (t) => {
  // Friday 2026-03-27 12:00 UTC; 13200 milli-EUR = 44 kWh = 22 h at 2 kW: out Saturday 10:00.
  // Clocks go forward Sunday 29 March 01:00 UTC, so Monday 08:00 local is 07:00 UTC.
  const rig = await creditRig(t, { credit: credit(13_200), timezone: ZONE, start: Date.UTC(2026, 2, 27, 12), pollMs: POLL, watts: 2000 });
  await rig.poll();
  t.is(exhaustion(rig, 13_200, 2000), Date.UTC(2026, 2, 28, 10));
  const end = Date.UTC(2026, 2, 30, 7);
  await rig.run(end - rig.clock.now() - MIN);
  t.true(rig.relayClosed(1), 'supplied through Saturday, Sunday and Sunday night');
  t.is(rig.eventsOf('tripped').length, 0);
  const zero = rig.eventsOf('friendly-period-zero-credit', 'p1');
  t.is(zero.length, 1);
  t.is((zero[0]!.data as { until: number }).until, end, 'the period ends at 08:00 IST, not 08:00 GMT');

  await rig.run(2 * POLL);
  const tripped = rig.eventsOf('tripped', 'p1');
  t.is(tripped.length, 1);
  t.true(tripped[0]!.ts >= end && tripped[0]!.ts < end + POLL, `trip at 07:00 UTC (${new Date(tripped[0]!.ts).toISOString()})`);
  t.false(rig.relayClosed(1));
  const audit = await rig.credit.ledger.auditLog({ meter: 'p1', action: 'relay-disconnected' });
  t.is(audit.length, 1);
  t.is((audit[0]!.detail as { result: string }).result, 'verified');
  // Debt = Saturday 10:00 to Monday 07:00 UTC = 45 h at 2 kW = 90 kWh = 27000 milli-EUR.
  const debt = -(await rig.credit.ledger.account('p1'))!.balance;
  t.true(debt >= 26_990 && debt <= 27_000 + 150, `debt ${debt}`);
  await assertLedgerReconciles(t, rig.credit.ledger);
});
