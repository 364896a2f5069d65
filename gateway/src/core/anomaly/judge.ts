/**
 * One rule, one window (or day), one verdict. Pure functions of the accumulated window, the
 * meter's facts and, for the day rules, its baseline of earlier days.
 */
import type { AnomalyConfig, DayRule, EnergyBalanceRule, MeterFacts, MeterWindowRule, Verdict } from './types.js';
import type { UseWindow } from './use-window.js';

const unknown = (detail: string): Verdict => ({ state: 'unknown', detail });
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

function covered(w: UseWindow, windowMs: number, minCoveragePct: number): boolean {
  return windowMs > 0 && w.coveredMs * 100 >= minCoveragePct * windowMs;
}

/** Over the raise probe for at least `minSeconds` -> raise; never over the clear probe -> clear. */
function byDuration(w: UseWindow, raise: number, clear: number, minSeconds: number, what: string, threshold: number): Verdict {
  const ms = w.probeMs[raise]!;
  const seconds = Math.round(ms / 1000);
  if (ms > 0 && ms >= minSeconds * 1000) return { state: 'raise', value: seconds, threshold, detail: `${what} for ${seconds} s` };
  if (w.probeMs[clear] === 0) return { state: 'clear', value: seconds, threshold, detail: `no ${what}` };
  return { state: 'hold', value: seconds, threshold, detail: `${what} for ${seconds} s, under ${minSeconds} s` };
}

export function judgeWindow(rule: MeterWindowRule, w: UseWindow, windowMs: number, facts: MeterFacts | undefined, cfg: AnomalyConfig, raise: number, clear: number): Verdict {
  if (!covered(w, windowMs, cfg.minCoveragePct)) return unknown(`readings cover ${Math.round((w.coveredMs * 100) / Math.max(1, windowMs))}% of the window`);
  switch (rule.kind) {
    case 'zero-use': {
      if (w.supplyMs * 100 < rule.minSupplyPct * w.coveredMs) return unknown('supply was off (no voltage or relay open)');
      if (w.countedMs < w.coveredMs) return unknown('no energy counter in some readings');
      if (w.importWh === 0 && w.idleSupplyMs === w.supplyMs) return { state: 'raise', value: 0, threshold: 0, detail: `no energy used in ${Math.round(w.supplyMs / 60_000)} min with supply on` };
      return w.importWh > 0 ? { state: 'clear', value: w.importWh, threshold: 0, detail: `${w.importWh} Wh used` } : { state: 'hold', value: 0, threshold: 0, detail: 'power drawn but no Wh counted yet' };
    }
    case 'reverse-energy': {
      if (facts?.exportAllowed) return unknown('export allowed for this meter');
      if (w.exportWh >= rule.minWh) return { state: 'raise', value: w.exportWh, threshold: rule.minWh, detail: `${w.exportWh} Wh exported` };
      return w.exportWh === 0 ? { state: 'clear', value: 0, threshold: rule.minWh, detail: 'no energy exported' } : { state: 'hold', value: w.exportWh, threshold: rule.minWh, detail: `${w.exportWh} Wh exported` };
    }
    case 'voltage': {
      if (!(w.minV === w.minV)) return unknown('no supplied phase');
      const v = (rule.pct * cfg.nominalV) / 100;
      const r = byDuration(w, raise, clear, rule.minSeconds, `${rule.direction} beyond ${round(v)} V`, round(v));
      return r.state === 'unknown' ? r : { ...r, detail: `${r.detail} (${rule.direction === 'sag' ? `lowest ${round(w.minV)}` : `highest ${round(w.maxV)}`} V)` };
    }
    case 'phase-loss':
      if (facts?.phases !== 3) return unknown('not a three-phase meter');
      return byDuration(w, raise, clear, rule.minSeconds, 'a phase without supply', rule.minSeconds);
    case 'overload': {
      if (facts?.contractedW === undefined) return unknown('no contractedW for this meter');
      const limit = Math.round((rule.pct * facts.contractedW) / 100);
      const r = byDuration(w, raise, clear, rule.minSeconds, `power above ${limit} W`, limit);
      return r.state === 'unknown' ? r : { ...r, detail: `${r.detail} (peak ${w.maxW} W)` };
    }
  }
}

/** Energy of a window scaled to its whole length (readings covered part of it). */
export const scaledWh = (wh: number, w: UseWindow, windowMs: number): number => (w.coveredMs > 0 ? (wh * windowMs) / w.coveredMs : 0);

export function judgeBalance(rule: EnergyBalanceRule, feeder: UseWindow | undefined, subs: ReadonlyArray<UseWindow | undefined>, windowMs: number, cfg: AnomalyConfig): Verdict {
  if (!feeder || !covered(feeder, windowMs, cfg.minCoveragePct)) return unknown('feeder readings do not cover the window');
  let sum = 0;
  for (const s of subs) {
    if (!s || !covered(s, windowMs, cfg.minCoveragePct)) return unknown('a sub-meter\'s readings do not cover the window');
    sum += scaledWh(s.importWh, s, windowMs);
  }
  const f = scaledWh(feeder.importWh, feeder, windowMs);
  if (f < rule.minFeederWh) return unknown(`feeder measured ${Math.round(f)} Wh, under ${rule.minFeederWh}`);
  const loss = round(((f - sum) * 100) / f, 2);
  const detail = `feeder ${Math.round(f)} Wh, sub-meters ${Math.round(sum)} Wh: ${loss}% unaccounted`;
  if (loss >= rule.lossPct) return { state: 'raise', value: loss, threshold: rule.lossPct, detail };
  if (loss <= rule.clearPct) return { state: 'clear', value: loss, threshold: rule.lossPct, detail };
  return { state: 'hold', value: loss, threshold: rule.lossPct, detail };
}

/** A complete local day of one meter, as its baseline keeps it. */
export interface DayTotals {
  importWh: number;
  nightWh: readonly number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function judgeDay(rule: DayRule, day: DayTotals, history: readonly DayTotals[], night: number): Verdict {
  const days = history.slice(-rule.baselineDays);
  if (days.length < Math.ceil(rule.baselineDays / 2)) return unknown(`baseline has ${days.length} of ${Math.ceil(rule.baselineDays / 2)} days needed`);
  const pick = (d: DayTotals): number => (rule.kind === 'night-use' ? d.nightWh[night]! : d.importWh);
  const base = median(days.map(pick));
  const today = pick(day);
  if (rule.kind === 'sudden-change' && base < rule.minBaselineWh) return unknown(`baseline ${Math.round(base)} Wh is under ${rule.minBaselineWh}`);
  const up = rule.kind === 'sudden-change' ? rule.direction === 'rise' : rule.ratio > 1;
  const ratio = base > 0 ? today / base : today > 0 ? Infinity : 1;
  const detail = `${Math.round(today)} Wh against a median of ${Math.round(base)} Wh over ${days.length} days (x${round(ratio, 2)})`;
  const value = round(ratio, 3);
  const beyond = up ? ratio >= rule.ratio : ratio <= rule.ratio;
  if (beyond && Math.abs(today - base) >= rule.minDeltaWh) return { state: 'raise', value, threshold: rule.ratio, detail };
  const back = up ? ratio <= rule.clearRatio : ratio >= rule.clearRatio;
  return { state: back ? 'clear' : 'hold', value, threshold: rule.ratio, detail };
}
