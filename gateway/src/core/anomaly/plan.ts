/**
 * What the accumulators must measure for a rule set, worked out once: the duration probes (time
 * spent beyond a voltage or power threshold) and the night windows whose energy is counted.
 */
import type { AnomalyConfig, AnomalyRule } from './types.js';

/** Time a reading interval spends with its condition true is added to the probe. */
export type Probe =
  /** Lowest supplied phase below `v` volts. */
  | { on: 'v-below'; v: number }
  /** Highest phase above `v` volts. */
  | { on: 'v-above'; v: number }
  /** Power above `pct` % of the meter's contractedW. */
  | { on: 'p-above'; pct: number }
  /** One phase without supply while another has it. */
  | { on: 'phase-loss' };

/** Night windows as local minutes of the day [from, to); to < from runs past midnight. */
export interface NightWindow {
  from: number;
  to: number;
}

export interface RulePlan {
  probes: Probe[];
  nights: NightWindow[];
  /** Per rule (same order as config.rules): its raise and clear probe / night index, -1 if none. */
  raiseProbe: number[];
  clearProbe: number[];
  night: number[];
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function inNight(w: NightWindow, minuteOfDay: number): boolean {
  return w.from <= w.to ? minuteOfDay >= w.from && minuteOfDay < w.to : minuteOfDay >= w.from || minuteOfDay < w.to;
}

export function planRules(c: Pick<AnomalyConfig, 'rules' | 'nominalV'>): RulePlan {
  const probes: Probe[] = [];
  const nights: NightWindow[] = [];
  const key = (p: Probe): string => JSON.stringify(p);
  const index = new Map<string, number>();
  const probe = (p: Probe): number => {
    let i = index.get(key(p));
    if (i === undefined) {
      i = probes.push(p) - 1;
      index.set(key(p), i);
    }
    return i;
  };
  const plan: RulePlan = { probes, nights, raiseProbe: [], clearProbe: [], night: [] };
  for (const r of c.rules as AnomalyRule[]) {
    let raise = -1;
    let clear = -1;
    let night = -1;
    if (r.kind === 'voltage') {
      const on = r.direction === 'sag' ? 'v-below' : 'v-above';
      raise = probe({ on, v: (r.pct * c.nominalV) / 100 });
      clear = probe({ on, v: (r.clearPct * c.nominalV) / 100 });
    } else if (r.kind === 'overload') {
      raise = probe({ on: 'p-above', pct: r.pct });
      clear = probe({ on: 'p-above', pct: r.clearPct });
    } else if (r.kind === 'phase-loss') {
      raise = clear = probe({ on: 'phase-loss' });
    } else if (r.kind === 'night-use') {
      night = nights.push({ from: minutes(r.from), to: minutes(r.to) }) - 1;
    }
    plan.raiseProbe.push(raise);
    plan.clearProbe.push(clear);
    plan.night.push(night);
  }
  return plan;
}
