/**
 * One timer for all the pollers of a gateway. A due time is rounded up to the next tick, so every
 * poll due within the same tick starts in the same wake-up of the process. Why: a wake-up from
 * idle costs far more CPU than the little work a poll does (measured on the footprint bench: 247
 * meters with a timer each woke the process ~250 times a second, which alone cost ~3% of a core).
 * Polls start at most one tick late; the poller keeps its cadence from its exact due times.
 */
import type { Clock, TimerHandle } from '@prepaid-edge/protocols';

/** What the poll clock uses of the Clock: monotonic time and timers. */
export type PollClockDeps = Pick<Clock, 'monotonic' | 'setTimeout' | 'clearTimeout'>;

export class PollClock {
  /** Tick (monotonic ms, a multiple of tickMs) -> what runs then. */
  private readonly due = new Map<number, Set<() => void>>();
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(
    readonly tickMs: number,
    private readonly deps: PollClockDeps,
  ) {
    if (!(tickMs > 0)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
  }

  /**
   * Run `fn` at the first tick at or after `at` (monotonic ms); if `at` has already passed (a poller
   * behind its schedule on a saturated bus), as soon as possible, so a busy bus never waits for a tick.
   * Returns a function that cancels it.
   */
  at(at: number, fn: () => void): () => void {
    const now = this.deps.monotonic();
    const tick = at <= now ? now : Math.ceil(at / this.tickMs) * this.tickMs;
    let set = this.due.get(tick);
    if (!set) this.due.set(tick, (set = new Set()));
    set.add(fn);
    if (tick < this.timerAt) this.arm(tick);
    return () => {
      if (!set.delete(fn) || this.due.get(tick) !== set) return; // already run or cancelled
      if (set.size === 0) this.due.delete(tick);
      if (this.due.size === 0) this.disarm();
    };
  }

  /** Cancel everything. */
  stop(): void {
    this.due.clear();
    this.disarm();
  }

  get pending(): number {
    let n = 0;
    for (const s of this.due.values()) n += s.size;
    return n;
  }

  private arm(tick: number): void {
    this.disarm();
    this.timerAt = tick;
    this.timer = this.deps.setTimeout(() => this.fire(), Math.max(0, tick - this.deps.monotonic()));
  }

  private disarm(): void {
    this.deps.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    // Timers may run a fraction of a ms before the clock's monotonic time reaches the tick.
    const now = this.deps.monotonic() + 1;
    const run: Array<() => void> = [];
    for (const [tick, set] of this.due) {
      if (tick > now) continue;
      this.due.delete(tick);
      for (const fn of set) run.push(fn);
    }
    for (const fn of run) fn();
    let next = Infinity;
    for (const tick of this.due.keys()) if (tick < next) next = tick;
    if (next < Infinity && next < this.timerAt) this.arm(next);
  }
}
