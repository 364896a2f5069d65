/**
 * Which frozen readings are due: daily at local midnight, monthly at local midnight of the billing
 * day. Pure: the caller passes the zone, the last period frozen and the instant of the reading that
 * would be frozen. Days are local calendar days, so a spring-forward day is 23 h and a fall-back
 * day 25 h; a boundary is the first instant of its local day (tariff/local-time.ts).
 *
 * Periods: daily `YYYY-MM-DD` = the registers as the local day starts; monthly `YYYY-MM` = as the
 * billing month starts (00:00 of `billingDay` in that month). Consumption of a day or a billing
 * month is the next period's registers minus this one's.
 */
import { addDays, dayStart, localParts } from '../tariff/local-time.js';

export type FrozenKind = 'daily' | 'monthly';

export interface FrozenPeriod {
  kind: FrozenKind;
  /** 'YYYY-MM-DD' (daily) or 'YYYY-MM' (monthly): with the meter, the key that is frozen once. */
  period: string;
  /** The boundary instant (epoch ms UTC) the snapshot stands for. */
  at: number;
}

export interface DueInput {
  zone: string;
  /** Day of the month (1..28) the billing month starts. */
  billingDay: number;
  /** Last period frozen of each kind for this meter (undefined: never). */
  last: { daily?: string | undefined; monthly?: string | undefined };
  /** With nothing frozen yet: boundaries after this instant are due (the meter's first reading). */
  since: number;
  /** The instant of the reading that would be frozen. */
  now: number;
  /** Most periods of one kind returned at once (oldest dropped first); default 400. */
  max?: number;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** The billing month key of the boundary at 00:00 of `billingDay` in `year-month`. */
function monthPeriod(year: number, month: number): string {
  return `${year}-${pad2(month)}`;
}

function nextMonth(year: number, month: number): [number, number] {
  return month === 12 ? [year + 1, 1] : [year, month + 1];
}

/** The first daily period that can be due: the day after the last frozen one, or the first midnight after `since`. */
function firstDaily(zone: string, after: string | undefined, since: number): string {
  return after !== undefined ? addDays(after, 1) : addDays(localParts(since, zone).date, 1);
}

/** The first billing month that can be due: the one after the last frozen, or the first billing-day midnight after `since`. */
function firstMonthly(zone: string, billingDay: number, after: string | undefined, since: number): [number, number] {
  if (after !== undefined) return nextMonth(Number(after.slice(0, 4)), Number(after.slice(5, 7)));
  const p = localParts(since, zone);
  const here: [number, number] = [p.year, p.month];
  return monthStart(zone, billingDay, ...here) <= since ? nextMonth(...here) : here;
}

/** 00:00 local of the billing day of `year-month`. */
function monthStart(zone: string, billingDay: number, year: number, month: number): number {
  return dayStart(`${monthPeriod(year, month)}-${pad2(billingDay)}`, zone);
}

/** Daily boundaries in (after, now], oldest first. */
function dailyDue(zone: string, afterDate: string | undefined, since: number, now: number, max: number): FrozenPeriod[] {
  let date = firstDaily(zone, afterDate, since);
  const out: FrozenPeriod[] = [];
  for (let at = dayStart(date, zone); at <= now; date = addDays(date, 1), at = dayStart(date, zone)) {
    out.push({ kind: 'daily', period: date, at });
    if (out.length > max) out.shift();
  }
  return out;
}

/** Monthly boundaries (00:00 local of billingDay) in (after, now], oldest first. */
function monthlyDue(zone: string, billingDay: number, after: string | undefined, since: number, now: number, max: number): FrozenPeriod[] {
  let [y, m] = firstMonthly(zone, billingDay, after, since);
  const out: FrozenPeriod[] = [];
  for (let at = monthStart(zone, billingDay, y, m); at <= now; [y, m] = nextMonth(y, m), at = monthStart(zone, billingDay, y, m)) {
    out.push({ kind: 'monthly', period: monthPeriod(y, m), at });
    if (out.length > max) out.shift();
  }
  return out;
}

/**
 * The earliest instant a period of either kind can next be due: a reading before it freezes
 * nothing, so a caller can skip dueFrozen until then (it costs a few µs; this is one comparison).
 */
export function nextDueAt(i: Omit<DueInput, 'now' | 'max'>): number {
  const daily = dayStart(firstDaily(i.zone, i.last.daily, i.since), i.zone);
  return Math.min(daily, monthStart(i.zone, i.billingDay, ...firstMonthly(i.zone, i.billingDay, i.last.monthly, i.since)));
}

/** Every period due at `now`, daily before monthly, each kind oldest first. */
export function dueFrozen(i: DueInput): FrozenPeriod[] {
  const max = i.max ?? 400;
  if (!Number.isInteger(i.billingDay) || i.billingDay < 1 || i.billingDay > 28) throw new RangeError(`billingDay must be 1..28, got ${i.billingDay}`);
  return [...dailyDue(i.zone, i.last.daily, i.since, i.now, max), ...monthlyDue(i.zone, i.billingDay, i.last.monthly, i.since, i.now, max)];
}

/** A snapshot taken later than this after its boundary is marked late (the gateway was down, or the meter silent). */
export const LATE_AFTER_MS = 15 * 60_000;
