/**
 * Pricing consumption between two meter readings. Rules (see README.md next to this file):
 *
 * - Attribution in time: energy is uniform in time within a reading interval. The cumulative counter
 *   is taken to rise linearly from lastWh at lastTs to wh at ts, and each whole Wh is placed at the
 *   instant the counter reaches it: Wh k (1..D) of the interval at lastTs + k·T/D. A Wh is priced by
 *   the tariff state in force just before that instant (a stretch [s, e) owns the Wh placed in (s, e]),
 *   so a stretch gets floor(D·(e-lastTs)/T) − floor(D·(s-lastTs)/T) Wh and the lines sum to D exactly.
 *   With ts == lastTs every Wh is placed at ts and priced just before it.
 * - Tiers: the n-th Wh of a billing month costs the adder of the last block whose fromKwh·1000 <= n−1.
 * - Money: every line adds wh × price (milli-sub-units) to a running sum started at
 *   cursor.remainderMilli; whole sub-units are charged, the rest (0..999) is carried, so any sequence
 *   of charges totals floor(Σ wh × price / 1000) exactly.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { ChargeCursor, ChargeLine, ChargeResult, TariffVersion } from '../credit/contracts.js';
import { compileVersions, monthKey, parseMonthKey, stateAt, versionIndexAt, type TariffState } from './compile.js';
import { localDate, zoneTable } from './local-time.js';
import { walkSegments } from './segments.js';

export interface Reading {
  /** Epoch ms UTC. */
  ts: number;
  /** energyImport, Wh. */
  wh: number;
}

function refuse(message: string, context: Record<string, unknown>): never {
  throw new PrepaidError('E_LEDGER_INPUT', message, context);
}

function checkInt(v: unknown, path: string, min = -Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) refuse(`${path}: must be an integer >= ${min === 0 ? 0 : 'MIN_SAFE_INTEGER'} (got ${String(v)})`, { path });
}

export function checkCursor(c: ChargeCursor): void {
  checkInt(c.lastWh, 'cursor.lastWh', 0);
  checkInt(c.lastTs, 'cursor.lastTs');
  checkInt(c.remainderMilli, 'cursor.remainderMilli', 0);
  if (c.remainderMilli > 999) refuse(`cursor.remainderMilli: must be 0..999 (got ${c.remainderMilli})`, { path: 'cursor.remainderMilli' });
  checkInt(c.monthWh, 'cursor.monthWh', 0);
  if (Number.isNaN(parseMonthKey(c.month))) refuse(`cursor.month: must be "YYYY-MM" (got ${JSON.stringify(c.month)})`, { path: 'cursor.month' });
}

/** floor(a / b) for non-negative safe integers, exact (the float quotient can round up to an integer). */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/**
 * Charge the energy between cursor (lastTs, lastWh) and `reading`. Refuses (E_LEDGER_INPUT) a reading
 * older than the cursor or with less energy: counter resets are the caller's to detect (re-baseline
 * with baselineCursor). A delta of 0 charges nothing and advances the cursor.
 */
export function chargeConsumption(versions: TariffVersion[], zone: string, cursor: ChargeCursor, reading: Reading): ChargeResult {
  checkCursor(cursor);
  checkInt(reading.ts, 'reading.ts');
  checkInt(reading.wh, 'reading.wh', 0);
  const { lastTs, lastWh } = cursor;
  const D = reading.wh - lastWh;
  const T = reading.ts - lastTs;
  if (D < 0) refuse(`reading.wh: ${reading.wh} is below the cursor's ${lastWh} (counter reset? re-baseline)`, { path: 'reading.wh', wh: reading.wh, lastWh });
  if (T < 0) refuse(`reading.ts: ${new Date(reading.ts).toISOString()} is before the cursor's ${new Date(lastTs).toISOString()}`, { path: 'reading.ts', ts: reading.ts, lastTs });
  if (D === 0 && T === 0) return { lines: [], amount: 0, cursor: { ...cursor } };

  const cv = compileVersions(versions);
  const z = zoneTable(zone);
  let month = parseMonthKey(cursor.month);
  let monthWh = cursor.monthWh;
  let acc = cursor.remainderMilli;
  let total = 0;
  const lines: ChargeLine[] = [];

  const enter = (st: TariffState): void => {
    if (st.month !== month) {
      month = st.month;
      monthWh = 0;
    }
  };
  // Tick k of the interval (1..D) is at lastTs + k·T/D; for line edges only, money never depends on it.
  const tickTime = (k: number): number => lastTs + Math.round((k * T) / D);

  /** Price n Wh (ticks k0+1 .. k0+n) of one stretch [s, e), splitting at tier thresholds. */
  const price = (st: TariffState, n: number, s: number, e: number, k0: number): void => {
    const c = st.tariff;
    let left = n;
    let k = k0;
    let from = s;
    while (left > 0) {
      let j = c.tierWh.length - 1;
      while (c.tierWh[j]! > monthWh) j--;
      const cap = j + 1 < c.tierWh.length ? c.tierWh[j + 1]! - monthWh : Infinity;
      const wh = Math.min(left, cap);
      const p = st.price + c.tierAdder[j]!;
      left -= wh;
      k += wh;
      monthWh += wh;
      const to = left === 0 ? e : Math.min(e, Math.max(from, tickTime(k)));
      acc += wh * p;
      if (!Number.isSafeInteger(acc)) refuse(`reading.wh: energy ${wh} Wh × price ${p} overflows`, { path: 'reading.wh', wh, price: p });
      const amount = Math.floor(acc / 1000);
      acc -= amount * 1000;
      total += amount;
      lines.push({ from, to, wh, period: c.periodIds[st.period]!, tier: j, pricePerKwh: p, amount });
      from = to;
    }
  };

  if (T === 0) {
    // All D Wh at ts, priced just before ts (or at ts when no tariff was active just before).
    const at = versionIndexAt(cv, reading.ts - 1) >= 0 ? reading.ts - 1 : reading.ts;
    const st = stateAt(cv, z, at);
    enter(st);
    price(st, D, reading.ts, reading.ts, 0);
  } else if (D === 0) {
    // No energy, no month change: the billing month moves when a Wh is priced in a later one, so a
    // tariff version that moves the billing day cannot reset the tiers through an empty stretch.
  } else {
    const exact = D * T <= Number.MAX_SAFE_INTEGER;
    const bD = BigInt(D);
    const bT = BigInt(T);
    const ticksBy = (x: number): number => (exact ? floorDiv(D * (x - lastTs), T) : Number((bD * BigInt(x - lastTs)) / bT));
    let k0 = 0;
    walkSegments(cv, z, lastTs, reading.ts, (s, e, st) => {
      const k1 = e === reading.ts ? D : ticksBy(e);
      // Only a stretch that holds a Wh moves the billing month: a tariff version that changes the
      // billing day can pass through another month's key for an instant with no energy in it.
      if (k1 > k0) {
        enter(st);
        price(st, k1 - k0, s, e, k0);
      }
      k0 = k1;
    });
  }
  return {
    lines,
    amount: total,
    cursor: { lastWh: reading.wh, lastTs: reading.ts, remainderMilli: acc, month: monthKey(month), monthWh, standingDay: cursor.standingDay },
  };
}

/**
 * A fresh cursor at `reading` (first reading of an account, or after a counter reset): billing month
 * and standing day of that instant, monthWh 0, no remainder; the day of the baseline is treated as
 * already charged. With `previous`, its remainder and standingDay carry over, and its monthWh too
 * when the billing month is the same, so a counter reset neither re-charges nor forgets tiers.
 */
export function baselineCursor(reading: Reading, zone: string, versions: TariffVersion[], previous?: ChargeCursor): ChargeCursor {
  checkInt(reading.ts, 'reading.ts');
  checkInt(reading.wh, 'reading.wh', 0);
  const st = stateAt(compileVersions(versions), zoneTable(zone), reading.ts);
  const month = monthKey(st.month);
  const cursor: ChargeCursor = { lastWh: reading.wh, lastTs: reading.ts, remainderMilli: 0, month, monthWh: 0, standingDay: localDate(reading.ts, zone) };
  if (previous) {
    checkCursor(previous);
    cursor.remainderMilli = previous.remainderMilli;
    cursor.standingDay = previous.standingDay;
    if (previous.month === month) cursor.monthWh = previous.monthWh;
  }
  return cursor;
}
