/**
 * What a meter did in one window (a pass, or a local day), accumulated reading by reading in O(1)
 * per reading: energy, covered time, supply time, time beyond each probe's threshold, night energy.
 *
 * Each interval between two readings takes the state of the reading that ends it. An interval
 * longer than maxGap is a hole (a failed read, an outage of the gateway): it counts for nothing,
 * neither time nor energy, so a hole can never raise or clear a rule.
 */
import type { NightWindow, Probe } from './plan.js';
import { inNight } from './plan.js';

export class UseWindow {
  /** Time covered by readings, ms. */
  coveredMs = 0;
  /** Energy over covered intervals, Wh (from the counters). */
  importWh = 0;
  exportWh = 0;
  /** Covered time in which the import counter was read at both ends, ms. */
  countedMs = 0;
  /** Covered time with supply (a phase at supplyPresentV, relay not reported open), ms. */
  supplyMs = 0;
  /** Covered time with supply and no power drawn, ms. */
  idleSupplyMs = 0;
  /** Lowest voltage of a supplied phase and highest power seen (NaN until seen). */
  minV = NaN;
  maxV = NaN;
  maxW = NaN;
  readonly probeMs: Float64Array;
  readonly nightWh: Float64Array;

  constructor(probes: number, nights: number) {
    this.probeMs = new Float64Array(probes);
    this.nightWh = new Float64Array(nights);
  }

  reset(): void {
    this.coveredMs = this.countedMs = this.importWh = this.exportWh = this.supplyMs = this.idleSupplyMs = 0;
    this.minV = this.maxV = this.maxW = NaN;
    this.probeMs.fill(0);
    this.nightWh.fill(0);
  }
}

/** One reading reduced to what the rules look at. */
export interface Sample {
  ts: number;
  /** Counter values, Wh; NaN when the reading has none. */
  importWh: number;
  exportWh: number;
  /** Active power, W; NaN when absent. */
  powerW: number;
  /** Phase voltages present in the reading (voltageL1..L3), V. */
  volts: readonly number[];
  /** false when the reading says the relay is open. */
  relayClosed: boolean;
}

export interface IntervalContext {
  probes: readonly Probe[];
  nights: readonly NightWindow[];
  supplyPresentV: number;
  /** For p-above probes; undefined = they never fire. */
  contractedW: number | undefined;
  phases: 1 | 3;
}

/**
 * Add the interval (prev.ts, cur.ts] to every window in `into`. `minuteOfDay` is the local minute of
 * the interval's middle (for the night windows). dt must already be known to be within maxGap.
 */
export function addInterval(into: readonly UseWindow[], ctx: IntervalContext, prev: Sample, cur: Sample, minuteOfDay: number): void {
  const dt = cur.ts - prev.ts;
  // NaN when either reading lacks the counter; a counter that went back (a reset) adds 0
  const dImp = cur.importWh !== cur.importWh || prev.importWh !== prev.importWh ? NaN : Math.max(0, cur.importWh - prev.importWh);
  const dExp = cur.exportWh !== cur.exportWh || prev.exportWh !== prev.exportWh ? NaN : Math.max(0, cur.exportWh - prev.exportWh);
  let lo = Infinity;
  let hi = -Infinity;
  let supplied = 0;
  for (const v of cur.volts) {
    if (v > hi) hi = v;
    if (v >= ctx.supplyPresentV) {
      supplied++;
      if (v < lo) lo = v;
    }
  }
  const supply = supplied > 0 && cur.relayClosed;
  const phaseLoss = ctx.phases === 3 && cur.volts.length === 3 && supplied > 0 && supplied < 3;
  for (const w of into) {
    w.coveredMs += dt;
    if (dImp === dImp) {
      w.importWh += dImp;
      w.countedMs += dt;
    }
    if (dExp === dExp) w.exportWh += dExp;
    if (supply) {
      w.supplyMs += dt;
      if (!(cur.powerW > 0) && !(dImp > 0)) w.idleSupplyMs += dt;
    }
    if (supplied > 0 && !(lo >= w.minV)) w.minV = lo;
    if (hi > -Infinity && !(hi <= w.maxV)) w.maxV = hi;
    if (cur.powerW === cur.powerW && !(cur.powerW <= w.maxW)) w.maxW = cur.powerW;
    for (let i = 0; i < ctx.probes.length; i++) {
      const p = ctx.probes[i]!;
      let on = false;
      switch (p.on) {
        case 'v-below':
          on = supplied > 0 && lo < p.v;
          break;
        case 'v-above':
          on = hi > p.v;
          break;
        case 'p-above':
          on = ctx.contractedW !== undefined && cur.powerW * 100 > p.pct * ctx.contractedW;
          break;
        case 'phase-loss':
          on = phaseLoss;
          break;
      }
      if (on) w.probeMs[i]! += dt;
    }
    for (let i = 0; i < ctx.nights.length; i++) if (dImp === dImp && inNight(ctx.nights[i]!, minuteOfDay)) w.nightWh[i]! += dImp;
  }
}
