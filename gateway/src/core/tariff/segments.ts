/**
 * The timeline cut into stretches of constant tariff state (version, ToU period, billing month).
 * Edges come from local-time rules (rule from/to, local midnight) converted to UTC instants within
 * stretches of constant UTC offset, from DST transitions and from version activation instants.
 */
import type { TariffVersion } from '../credit/contracts.js';
import { compileVersions, monthKey, stateAt, type CompiledVersions, type TariffState } from './compile.js';
import { zoneTable, type ZoneTable } from './local-time.js';

/**
 * Calls `fn(from, to, state)` for consecutive stretches covering [from, to), each with one state; a
 * stretch ends only where the state changes (or at `to`). from == to gives nothing.
 */
export function walkSegments(cv: CompiledVersions, z: ZoneTable, from: number, to: number, fn: (s: number, e: number, st: TariffState) => void): void {
  let t = from;
  let cur: TariffState | null = null;
  let curStart = from;
  while (t < to) {
    const st = stateAt(cv, z, t);
    if (cur && (st.version !== cur.version || st.period !== cur.period || st.month !== cur.month)) {
      fn(curStart, t, cur);
      cur = null;
    }
    if (!cur) {
      cur = st;
      curStart = t;
    }
    t = Math.min(st.until, to);
  }
  if (cur) fn(curStart, to, cur);
}

export interface TariffSegment {
  from: number;
  to: number;
  tariff: string;
  /** Index in `versions` sorted by activeFrom. */
  version: number;
  period: string;
  pricePerKwh: number;
  /** Billing month key 'YYYY-MM'. */
  month: string;
}

/** The tariff state over [from, to): where periods, versions and billing months change, as UTC instants. */
export function tariffSegments(versions: TariffVersion[], zone: string, from: number, to: number): TariffSegment[] {
  const out: TariffSegment[] = [];
  walkSegments(compileVersions(versions), zoneTable(zone), from, to, (s, e, st) => {
    out.push({
      from: s,
      to: e,
      tariff: st.tariff.tariff.id,
      version: st.version,
      period: st.tariff.periodIds[st.period]!,
      pricePerKwh: st.price,
      month: monthKey(st.month),
    });
  });
  return out;
}

/** The ToU period in force at an instant. */
export function periodAt(versions: TariffVersion[], zone: string, ms: number): { tariff: string; period: string; pricePerKwh: number; month: string } {
  const st = stateAt(compileVersions(versions), zoneTable(zone), ms);
  return { tariff: st.tariff.tariff.id, period: st.tariff.periodIds[st.period]!, pricePerKwh: st.price, month: monthKey(st.month) };
}
