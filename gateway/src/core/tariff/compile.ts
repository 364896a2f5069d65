/**
 * Tariffs turned into lookup-friendly form (once per tariff object) and the tariff state at an instant:
 * which version, which ToU period, which billing month, and until when that state surely holds.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { DayType, Tariff, TariffVersion } from '../credit/contracts.js';
import { DAY_MS, MINUTE_MS, civilFromDays, daysOfDate, zoneTable, type ZoneTable } from './local-time.js';

const DAY_BIT: Record<DayType, number> = { weekday: 1, saturday: 2, sunday: 4, holiday: 8 };
const ALL_DAYS = 15;
const ALL_MONTHS = 0b1_1111_1111_1110;

interface CompiledRule {
  period: number;
  /** ms since local midnight */
  from: number;
  to: number;
  days: number;
  months: number;
}

export interface CompiledTariff {
  tariff: Tariff;
  periodIds: string[];
  prices: number[];
  defaultPeriod: number;
  rules: CompiledRule[];
  /** Rule edges in ms since local midnight, ascending, without 0 (midnight is always an edge). */
  edges: number[];
  holidays: Set<number>;
  /** Tier thresholds in Wh (first is 0) and their adders; one block of adder 0 when the tariff has no tiers. */
  tierWh: number[];
  tierAdder: number[];
  billingDay: number;
}

const compiled = new WeakMap<Tariff, CompiledTariff>();

function hhmmToMs(s: string): number {
  return (Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5))) * MINUTE_MS;
}

export function compileTariff(t: Tariff): CompiledTariff {
  const hit = compiled.get(t);
  if (hit) return hit;
  const periodIds = t.periods.map((p) => p.id);
  const index = (id: string, path: string): number => {
    const i = periodIds.indexOf(id);
    if (i < 0) throw new PrepaidError('E_TARIFF_INVALID', `${path}: no period "${id}" in tariff ${t.id}`, { path, tariff: t.id });
    return i;
  };
  const rules = t.tou.map((r, i) => ({
    period: index(r.period, `tou[${i}].period`),
    from: hhmmToMs(r.from),
    to: hhmmToMs(r.to),
    days: r.days ? r.days.reduce((m, d) => m | DAY_BIT[d], 0) : ALL_DAYS,
    months: r.months ? r.months.reduce((m, mo) => m | (1 << mo), 0) : ALL_MONTHS,
  }));
  const edges = [...new Set(rules.flatMap((r) => [r.from, r.to]).filter((e) => e > 0))].sort((a, b) => a - b);
  const tiers = t.tiers && t.tiers.length ? t.tiers : [{ fromKwh: 0, adderPerKwh: 0 }];
  const c: CompiledTariff = {
    tariff: t,
    periodIds,
    prices: t.periods.map((p) => p.pricePerKwh),
    defaultPeriod: index(t.defaultPeriod, 'defaultPeriod'),
    rules,
    edges,
    holidays: new Set((t.holidays ?? []).map(daysOfDate)),
    tierWh: tiers.map((b) => Math.round(b.fromKwh * 1000)),
    tierAdder: tiers.map((b) => b.adderPerKwh),
    billingDay: t.billingDay ?? 1,
  };
  compiled.set(t, c);
  return c;
}

/** Day-type bit of a local day (holiday wins over the weekday). */
function dayBit(c: CompiledTariff, days: number): number {
  if (c.holidays.has(days)) return DAY_BIT.holiday;
  const wd = (((days + 4) % 7) + 7) % 7;
  return wd === 0 ? DAY_BIT.sunday : wd === 6 ? DAY_BIT.saturday : DAY_BIT.weekday;
}

/** ToU period index at a local day (days since epoch), calendar month 1..12, ms since local midnight. */
export function periodIndexAt(c: CompiledTariff, days: number, month: number, inDay: number): number {
  const db = dayBit(c, days);
  const mb = 1 << month;
  for (const r of c.rules) {
    if (!(r.days & db) || !(r.months & mb)) continue;
    const inside = r.to > r.from ? inDay >= r.from && inDay < r.to : inDay >= r.from || inDay < r.to;
    if (inside) return r.period;
  }
  return c.defaultPeriod;
}

/** Billing month as a number year*12 + (month-1), by the local date and the billing day. */
export function billingMonthNum(year: number, month: number, day: number, billingDay: number): number {
  const n = year * 12 + (month - 1);
  return day >= billingDay ? n : n - 1;
}

export function monthKey(num: number): string {
  const y = Math.floor(num / 12);
  const m = num - y * 12 + 1;
  return `${y}-${m < 10 ? '0' : ''}${m}`;
}

export function parseMonthKey(key: string): number {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return NaN;
  return Number(m[1]) * 12 + Number(m[2]) - 1;
}

export interface CompiledVersions {
  activeFrom: number[];
  tariffs: CompiledTariff[];
}

const versionCache = new WeakMap<TariffVersion[], { items: TariffVersion[]; cv: CompiledVersions }>();

/** Versions sorted by activeFrom (stable), compiled; cached per array while its items stay the same. */
export function compileVersions(versions: TariffVersion[]): CompiledVersions {
  const hit = versionCache.get(versions);
  if (hit && hit.items.length === versions.length && hit.items.every((v, i) => v === versions[i])) return hit.cv;
  if (!versions.length) throw new PrepaidError('E_TARIFF_INVALID', 'versions: no tariff version', { path: 'versions' });
  const sorted = versions.map((v, i) => ({ v, i })).sort((a, b) => a.v.activeFrom - b.v.activeFrom || a.i - b.i);
  const cv = { activeFrom: sorted.map((s) => s.v.activeFrom), tariffs: sorted.map((s) => compileTariff(s.v.tariff)) };
  versionCache.set(versions, { items: [...versions], cv });
  return cv;
}

/** Index of the version active at `ms` (the last whose activeFrom <= ms), or -1. */
export function versionIndexAt(cv: CompiledVersions, ms: number): number {
  let i = cv.activeFrom.length - 1;
  while (i >= 0 && cv.activeFrom[i]! > ms) i--;
  return i;
}

export interface TariffState {
  version: number;
  tariff: CompiledTariff;
  period: number;
  price: number;
  month: number;
  /** Local calendar day (days since epoch) and its date. */
  days: number;
  /** The state holds on [ms, until): the next instant anything (version, offset, rule edge, local day) may change. */
  until: number;
}

/** The tariff state at an instant. Throws E_TARIFF_INVALID when no version is active yet. */
export function stateAt(cv: CompiledVersions, zone: ZoneTable | string, ms: number): TariffState {
  const z = typeof zone === 'string' ? zoneTable(zone) : zone;
  const v = versionIndexAt(cv, ms);
  if (v < 0) {
    throw new PrepaidError('E_TARIFF_INVALID', `versions: no tariff active at ${new Date(ms).toISOString()} (first from ${new Date(cv.activeFrom[0]!).toISOString()})`, {
      path: 'versions[0].activeFrom',
      ts: ms,
    });
  }
  const c = cv.tariffs[v]!;
  const piece = z.piece(ms);
  const wall = ms + piece.offset;
  const days = Math.floor(wall / DAY_MS);
  const inDay = wall - days * DAY_MS;
  const [y, mo, d] = civilFromDays(days);
  const period = periodIndexAt(c, days, mo, inDay);
  let nextEdge = DAY_MS;
  for (const e of c.edges) {
    if (e > inDay) {
      nextEdge = e;
      break;
    }
  }
  let until = days * DAY_MS + nextEdge - piece.offset;
  if (piece.end < until) until = piece.end;
  const nextVersion = v + 1 < cv.activeFrom.length ? cv.activeFrom[v + 1]! : Infinity;
  if (nextVersion < until) until = nextVersion;
  return { version: v, tariff: c, period, price: c.prices[period]!, month: billingMonthNum(y, mo, d, c.billingDay), days, until };
}

