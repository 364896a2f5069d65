/**
 * The true physical state of one meter: load, relay, supply, and energy integrated exactly.
 *
 * Power is piecewise constant over ticks (integer W), so energy = sum(P * dt) is an exact integer
 * in W*ms; registers show whole Wh (floor), and the remainder is carried, never rounded away.
 * State at simulated instant t depends only on the seed and t, not on when anyone polled.
 */
import { createLoadModel, type LoadModel, type LoadSpec } from './load-profiles.js';
import { createRng, symmetric, type Rng } from './random.js';

export const WMS_PER_WH = 3_600_000;

export interface PhysicsOptions {
  seed: number | string;
  unit: number;
  phases: 1 | 3;
  startMs: number;
  tickMs?: number;
  load: LoadSpec;
  energyImportWh?: number;
  energyExportWh?: number;
  nominalVoltage?: number;
  nominalFrequency?: number;
  utcOffsetMin?: number;
}

export interface PhysicsSnapshot {
  atMs: number;
  voltage: number[];
  current: number[];
  powerPhase: number[];
  /** Whole-meter active power, W (integer; negative = export). */
  power: number;
  powerFactor: number;
  frequency: number;
  energyImportWh: number;
  energyExportWh: number;
  energyImportPhaseWh: number[];
  relayClosed: boolean;
  powered: boolean;
}

export class MeterPhysics {
  readonly phases: 1 | 3;
  readonly tickMs: number;
  private readonly rng: Rng;
  private load: LoadModel;
  private loadSpecValue: LoadSpec;
  private readonly utcOffsetMin: number;
  private readonly nominalV: number;
  private readonly nominalF: number;

  private lastMs: number;
  private nextTickMs: number;
  private demandW = 0; // what the load wants this tick
  private voltageNoise: number[] = [];
  private freqNoise = 0;
  private pf = 0.95;

  private importWh: number;
  private exportWh: number;
  private importRemWms = 0;
  private exportRemWms = 0;
  private phaseWh: number[];
  private phaseRemWms: number[];

  relayClosed = true;
  /** Theft: the load keeps running (and is metered) with the relay open. */
  bypass = false;
  powered = true;
  /** Share of the flowing power the meter registers: < 1 for a slow meter or a tap around it (faults slowMeter, tap). */
  meteredFraction = 1;
  /** Phase index (0-based) without supply (fault phaseLoss), or null. Its share of the load stops. */
  lostPhase: number | null = null;
  /** Supply voltage as a share of nominal (fault voltageSag: 0.8 = a 20% sag, 1.1 = a swell). */
  voltageFactor = 1;
  /** A feeder meter: its demand each tick is what its sub-meters draw (set by the Simulator), not its load model. */
  demandSource: ((tickStartMs: number) => number) | undefined;

  constructor(opts: PhysicsOptions) {
    this.phases = opts.phases;
    this.tickMs = opts.tickMs ?? 1000;
    this.rng = createRng(opts.seed, 'physics', opts.unit);
    this.utcOffsetMin = opts.utcOffsetMin ?? 0;
    this.loadSpecValue = opts.load;
    this.load = createLoadModel(opts.load, this.utcOffsetMin);
    this.nominalV = opts.nominalVoltage ?? 230;
    this.nominalF = opts.nominalFrequency ?? 50;
    this.importWh = opts.energyImportWh ?? 0;
    this.exportWh = opts.energyExportWh ?? 0;
    this.phaseWh = Array.from({ length: this.phases }, (_, i) => Math.floor(this.importWh / this.phases) + (i === 0 ? this.importWh % this.phases : 0));
    this.phaseRemWms = new Array(this.phases).fill(0);
    this.lastMs = opts.startMs;
    this.nextTickMs = opts.startMs;
    this.advanceTo(opts.startMs);
  }

  get loadSpec(): LoadSpec {
    return this.loadSpecValue;
  }

  /** Change the load from `atMs` on (integration so far is kept). */
  setLoad(spec: LoadSpec, atMs: number): void {
    this.advanceTo(atMs);
    this.loadSpecValue = spec;
    this.load = createLoadModel(spec, this.utcOffsetMin);
    // Takes effect now, not at the next tick: redraw this tick's demand from the new load.
    const own = this.load.next(atMs, this.tickMs, this.rng);
    this.demandW = this.demandSource ? this.demandSource(atMs) : own;
  }

  /** Power flowing to the load now (what a feeder meter upstream sees), W. */
  get flowPowerW(): number {
    if (!this.powered) return 0;
    if (!this.relayClosed && !this.bypass) return 0;
    if (this.lostPhase !== null && this.phases === 3) return this.demandW - splitPower(this.demandW, 3)[this.lostPhase]!;
    return this.demandW;
  }

  /** Power the meter measures now (the flow, less what a slow meter or a tap hides), W. */
  get effectivePowerW(): number {
    const flow = this.flowPowerW;
    return this.meteredFraction === 1 ? flow : Math.round(flow * this.meteredFraction);
  }

  /** Integrate up to `t` (never backwards: an earlier t is a no-op). */
  advanceTo(t: number): void {
    if (t < this.lastMs) return;
    while (this.nextTickMs <= t) {
      this.integrate(this.nextTickMs);
      this.drawTick(this.nextTickMs);
      this.nextTickMs += this.tickMs;
    }
    this.integrate(t);
  }

  /** Meter replaced / register reset: counters restart from `toWh`. */
  resetCounters(atMs: number, toWh = 0): void {
    this.advanceTo(atMs);
    this.importWh = toWh;
    this.exportWh = 0;
    this.importRemWms = 0;
    this.exportRemWms = 0;
    this.phaseWh = this.phaseWh.map((_, i) => (i === 0 ? toWh : 0));
    this.phaseRemWms.fill(0);
  }

  snapshot(t: number): PhysicsSnapshot {
    this.advanceTo(t);
    const p = this.effectivePowerW;
    const n = this.phases;
    const voltage = this.voltageNoise.map((v, i) => (this.powered && i !== this.lostPhase ? Math.round((this.nominalV * this.voltageFactor + v) * 10) / 10 : 0));
    const powerPhase = this.phasePowers(p);
    const current = powerPhase.map((pw, i) => (voltage[i]! > 0 ? Math.round((Math.abs(pw) / (voltage[i]! * this.pf)) * 1000) / 1000 : 0));
    return {
      atMs: t,
      voltage,
      current,
      powerPhase,
      power: p,
      powerFactor: p === 0 ? 1 : Math.round(this.pf * 1000) / 1000,
      frequency: this.powered ? Math.round((this.nominalF + this.freqNoise) * 100) / 100 : 0,
      energyImportWh: this.importWh,
      energyExportWh: this.exportWh,
      energyImportPhaseWh: [...this.phaseWh],
      relayClosed: this.relayClosed,
      powered: this.powered,
    };
  }

  /** Exact imported energy in W*ms (for conservation tests). */
  importWms(t: number): number {
    this.advanceTo(t);
    return this.importWh * WMS_PER_WH + this.importRemWms;
  }

  private integrate(t: number): void {
    const dt = t - this.lastMs;
    if (dt <= 0) return;
    this.lastMs = t;
    const p = this.effectivePowerW;
    if (p === 0) return;
    const wms = Math.abs(p) * dt;
    if (p > 0) {
      this.importRemWms += wms;
      const whole = Math.floor(this.importRemWms / WMS_PER_WH);
      this.importWh += whole;
      this.importRemWms -= whole * WMS_PER_WH;
      this.phasePowers(p).forEach((pp, i) => {
        this.phaseRemWms[i]! += pp * dt;
        const w = Math.floor(this.phaseRemWms[i]! / WMS_PER_WH);
        this.phaseWh[i]! += w;
        this.phaseRemWms[i]! -= w * WMS_PER_WH;
      });
    } else {
      this.exportRemWms += wms;
      const whole = Math.floor(this.exportRemWms / WMS_PER_WH);
      this.exportWh += whole;
      this.exportRemWms -= whole * WMS_PER_WH;
    }
  }

  /** Split the meter's power over its phases; a lost phase carries none. */
  private phasePowers(p: number): number[] {
    if (this.lostPhase === null || this.phases !== 3) return splitPower(p, this.phases);
    const parts = splitPower(p, 2);
    let j = 0;
    return [0, 1, 2].map((i) => (i === this.lostPhase ? 0 : parts[j++]!));
  }

  private drawTick(tickStart: number): void {
    const own = this.load.next(tickStart, this.tickMs, this.rng);
    this.demandW = this.demandSource ? this.demandSource(tickStart) : own;
    this.voltageNoise = Array.from({ length: this.phases }, () => 4 * symmetric(this.rng));
    this.freqNoise = 0.05 * symmetric(this.rng);
    this.pf = 0.9 + 0.09 * this.rng();
  }
}

/** Split an integer power over phases so the parts are integers that add up exactly. */
export function splitPower(p: number, phases: number): number[] {
  if (phases === 1) return [p];
  const base = Math.trunc(p / phases);
  const out = new Array(phases).fill(base);
  out[0] += p - base * phases;
  return out;
}
