/**
 * Simulated time. Meters read `now()` (epoch ms UTC of the simulated world); intervals inside the
 * simulator come from a monotonic source, so an NTP jump on the host never moves simulated time.
 * The Clock type and the ManualClock tests use are protocols' (one clock for every package).
 */
import { systemClock, type Clock, type TimerHandle, type TimerOptions } from '@prepaid-edge/protocols';

/** Simulated time runs `speed` times faster than the host's monotonic clock, from `startMs`. */
export class ScaledClock implements Clock {
  private readonly t0 = systemClock.monotonic();
  constructor(
    readonly startMs: number = Date.now(),
    readonly speed: number = 1,
  ) {
    if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  }
  now(): number {
    return Math.floor(this.startMs + this.monotonic());
  }
  /** Simulated ms since the clock was made. */
  monotonic(): number {
    return (systemClock.monotonic() - this.t0) * this.speed;
  }
  /** `ms` of simulated time. */
  setTimeout(fn: () => void, ms: number, opts?: TimerOptions): TimerHandle {
    return systemClock.setTimeout(fn, ms / this.speed, opts);
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    systemClock.clearTimeout(handle);
  }
}
