/**
 * A deliberately simple reference pricer, independent of the engine: every Wh is walked one by one,
 * placed at the instant the counter reaches it (lastTs + k·T/D, energy uniform within an interval),
 * and priced by the tariff in force just before that instant, read straight from Intl.DateTimeFormat
 * and the tariff's HH:MM strings. Returns the exact total in milli-sub-units (Σ wh × price).
 *
 * Intl.DateTimeFormat is asked once per UTC quarter-hour and minutes are added within it: valid for
 * zones whose offsets are whole quarter-hours and change on UTC quarter-hours (every zone these tests use).
 */
import type { Tariff, TariffVersion } from '../../../src/core/credit/contracts.js';

interface Local {
  date: string;
  hhmm: string;
  weekday: string;
  month: number;
  day: number;
  year: number;
}

const QUARTER = 900_000;
const fmts = new Map<string, Intl.DateTimeFormat>();
const quarterMemo = new Map<string, Map<number, Local & { hour: string; minute: number }>>();

function local(zone: string, ms: number): Local {
  let memo = quarterMemo.get(zone);
  if (!memo) quarterMemo.set(zone, (memo = new Map()));
  const quarter = Math.floor(ms / QUARTER);
  let q = memo.get(quarter);
  if (!q) {
    let f = fmts.get(zone);
    if (!f) {
      f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' });
      fmts.set(zone, f);
    }
    const p = Object.fromEntries(f.formatToParts(quarter * QUARTER).map((x) => [x.type, x.value]));
    q = { date: `${p.year}-${p.month}-${p.day}`, hhmm: '', hour: p.hour!, minute: Number(p.minute), weekday: p.weekday!, month: Number(p.month), day: Number(p.day), year: Number(p.year) };
    memo.set(quarter, q);
  }
  const minute = q.minute + Math.floor((ms - quarter * QUARTER) / 60_000);
  return { ...q, hhmm: `${q.hour}:${String(minute).padStart(2, '0')}` };
}

function period(t: Tariff, l: Local): string {
  const dayType = t.holidays?.includes(l.date) ? 'holiday' : l.weekday === 'Sat' ? 'saturday' : l.weekday === 'Sun' ? 'sunday' : 'weekday';
  for (const r of t.tou) {
    if (r.days && !r.days.includes(dayType)) continue;
    if (r.months && !r.months.includes(l.month)) continue;
    const inside = r.from < r.to ? l.hhmm >= r.from && l.hhmm < r.to : l.hhmm >= r.from || l.hhmm < r.to;
    if (inside) return r.period;
  }
  return t.defaultPeriod;
}

function billingKey(t: Tariff, l: Local): string {
  let y = l.year;
  let m = l.month;
  if (l.day < (t.billingDay ?? 1)) {
    m -= 1;
    if (m === 0) {
      m = 12;
      y -= 1;
    }
  }
  return `${y}-${String(m).padStart(2, '0')}`;
}

/** ceil(a / b) for positive safe integers, exact. */
function ceilDiv(a: number, b: number): number {
  if (!Number.isSafeInteger(a)) throw new Error('reference: k·T too large');
  let q = Math.ceil(a / b);
  if (q * b < a) q++;
  else if ((q - 1) * b >= a) q--;
  return q;
}

export class ReferencePricer {
  /** Exact Σ wh × price in milli-sub-units (a Number: exact below 2^53, checked). */
  totalMilli = 0;
  totalWh = 0;
  month = '';
  monthWh = 0;
  /** (UTC minute, version) → period price and billing month: both depend only on local minute and tariff. */
  private readonly memo = new Map<number, { price: number; key: string }>();

  constructor(
    readonly versions: TariffVersion[],
    readonly zone: string,
    private lastTs: number,
    private lastWh: number,
  ) {}

  private versionAt(ms: number): number {
    let i = -1;
    for (let j = 0; j < this.versions.length; j++) if (this.versions[j]!.activeFrom <= ms) i = j;
    return i;
  }

  /** One Wh priced by the tariff state at the ms `atMs`. */
  private priceWh(atMs: number): void {
    const vi = this.versionAt(atMs);
    const t = this.versions[vi]!.tariff;
    const memoKey = Math.floor(atMs / 60000) * 16 + vi;
    let m = this.memo.get(memoKey);
    if (!m) {
      const l = local(this.zone, atMs);
      m = { price: t.periods.find((x) => x.id === period(t, l))!.pricePerKwh, key: billingKey(t, l) };
      this.memo.set(memoKey, m);
    }
    if (m.key !== this.month) {
      this.month = m.key;
      this.monthWh = 0;
    }
    let adder = 0;
    for (const b of t.tiers ?? []) if (b.fromKwh * 1000 <= this.monthWh) adder = b.adderPerKwh;
    this.monthWh += 1;
    this.totalWh += 1;
    this.totalMilli += m.price + adder;
    if (!Number.isSafeInteger(this.totalMilli)) throw new Error('reference total too large');
  }

  read(ts: number, wh: number): void {
    const D = wh - this.lastWh;
    const T = ts - this.lastTs;
    for (let k = 1; k <= D; k++) {
      if (T === 0) {
        this.priceWh(this.versionAt(ts - 1) >= 0 ? ts - 1 : ts);
      } else {
        // The Wh sits at lastTs + k·T/D; "just before" it is the ms ceil(k·T/D) − 1 after lastTs.
        const off = ceilDiv(k * T, D) - 1;
        this.priceWh(this.lastTs + off);
      }
    }
    this.lastTs = ts;
    this.lastWh = wh;
  }
}
