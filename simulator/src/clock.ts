/**
 * Simulated time. Meters read `now()` (epoch ms UTC of the simulated world); intervals inside the
 * simulator come from a monotonic source, so an NTP jump on the host never moves simulated time.
 */
export interface SimClock {
  /** Simulated epoch ms UTC. */
  now(): number;
}

/** Simulated time runs `speed` times faster than the host's monotonic clock, from `startMs`. */
export class ScaledClock implements SimClock {
  private readonly t0 = performance.now();
  constructor(
    readonly startMs: number = Date.now(),
    readonly speed: number = 1,
  ) {
    if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  }
  now(): number {
    return Math.floor(this.startMs + (performance.now() - this.t0) * this.speed);
  }
}

/** A clock tests move by hand. */
export class ManualClock implements SimClock {
  constructor(private t: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): number {
    if (ms < 0) throw new RangeError('a clock never runs backwards');
    this.t += ms;
    return this.t;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
