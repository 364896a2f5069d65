/**
 * Active power from S0 pulse spacing (what a pulse-only meter can know): energy per pulse over the
 * last interval, capped by the time since the last pulse so that a load switched off decays to 0.
 */
import { wmsPerPulse } from './energy.js';

/** Without a pulse for this long the load is taken as off. */
const IDLE_MS = 120_000;

export class PowerEstimator {
  private last = -Infinity;
  private interval = Infinity;
  private readonly wms: number;

  constructor(impulsesPerKwh: number) {
    this.wms = wmsPerPulse(impulsesPerKwh);
  }

  pulse(at: number): void {
    if (Number.isFinite(this.last) && at > this.last) this.interval = at - this.last;
    this.last = at;
  }

  /** Watts, whole. */
  watts(now: number): number {
    const since = now - this.last;
    if (!Number.isFinite(this.interval) || since > IDLE_MS) return 0;
    return Math.round(this.wms / Math.max(this.interval, since, 1));
  }
}
