/**
 * The one clock of every package. Wall time (`now`, epoch ms UTC) is for timestamps and may jump
 * (NTP, an RTC set by hand); `monotonic` is for intervals and never does. Timers go through the
 * clock too, so a test can swap in a ManualClock and move time by hand instead of sleeping.
 */

declare const timerBrand: unique symbol;
/** What setTimeout returns; only this clock's clearTimeout understands it. */
export type TimerHandle = { readonly [timerBrand]: true };

export interface TimerOptions {
  /** The timer alone does not keep the process alive (Node's unref); a ManualClock ignores it. */
  unref?: boolean;
}

export interface Clock {
  /** Wall time, epoch ms UTC. */
  now(): number;
  /** Monotonic ms; only differences matter. */
  monotonic(): number;
  /** Run `fn` once after `ms` (monotonic). */
  setTimeout(fn: () => void, ms: number, opts?: TimerOptions): TimerHandle;
  /** Cancel a timer; an unknown, fired or undefined handle is ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** The host's clock: Date.now, performance.now and the global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms, opts) => {
    const t = globalThis.setTimeout(fn, ms) as unknown as { unref?: () => void };
    if (opts?.unref) t.unref?.();
    return t as unknown as TimerHandle;
  },
  clearTimeout: (h) => {
    if (h !== undefined) globalThis.clearTimeout(h as unknown as Parameters<typeof globalThis.clearTimeout>[0]);
  },
};

/**
 * Run `fn` every `ms` on `clock` until the returned function is called. Due times step by `ms`
 * from the start (monotonic), so a late run does not shift the ones after it; runs missed while
 * the process was blocked are skipped, not made up in a burst.
 */
export function every(clock: Clock, ms: number, fn: () => void, opts?: TimerOptions): () => void {
  if (!(ms > 0)) throw new RangeError(`every: ms must be > 0, got ${ms}`);
  let due = clock.monotonic() + ms;
  let stopped = false;
  let handle: TimerHandle | undefined;
  const arm = (): void => {
    handle = clock.setTimeout(run, Math.max(0, due - clock.monotonic()), opts);
  };
  const run = (): void => {
    handle = undefined;
    const now = clock.monotonic();
    due = now - due >= ms ? now + ms : due + ms;
    fn();
    if (!stopped) arm();
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
    handle = undefined;
  };
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock tests move by hand. advance(ms) moves wall and monotonic time together and fires every
 * timer that falls due on the way, in due order (ties in the order they were set), each at its own
 * due time, including timers set by a timer that fall within the same advance.
 */
export class ManualClock implements Clock {
  private wall: number;
  private mono: number;
  private seq = 0;
  private readonly timers = new Map<TimerHandle, ManualTimer>();

  constructor(start: { now?: number; monotonic?: number } = {}) {
    this.wall = start.now ?? Date.UTC(2026, 0, 1);
    this.mono = start.monotonic ?? 0;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = {} as TimerHandle;
    this.timers.set(handle, { at: this.mono + Math.max(0, ms), seq: this.seq++, fn });
    return handle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.timers.delete(handle);
  }

  /** Timers set and not yet fired or cleared. */
  pending(): number {
    return this.timers.size;
  }

  /** Move time forward by `ms`, firing due timers; returns the new wall time. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`a clock never runs backwards (advance ${ms})`);
    const end = this.mono + ms;
    for (let next = this.nextDue(end); next; next = this.nextDue(end)) {
      const [handle, t] = next;
      this.step(t.at - this.mono);
      this.timers.delete(handle);
      t.fn();
    }
    this.step(end - this.mono);
    return this.wall;
  }

  /**
   * Like advance, but lets promise callbacks run after each timer (and before returning), so code
   * that awaits between timers sees them one at a time as it would in real time.
   */
  async advanceAsync(ms: number): Promise<number> {
    if (!(ms >= 0)) throw new RangeError(`a clock never runs backwards (advance ${ms})`);
    const end = this.mono + ms;
    await settle();
    for (let next = this.nextDue(end); next; next = this.nextDue(end)) {
      const [handle, t] = next;
      this.step(t.at - this.mono);
      this.timers.delete(handle);
      t.fn();
      await settle();
    }
    this.step(end - this.mono);
    return this.wall;
  }

  /** Set wall time (an NTP or RTC jump, either way); monotonic time and timers do not move. */
  set(now: number): void {
    this.wall = now;
  }

  private step(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }

  private nextDue(end: number): [TimerHandle, ManualTimer] | undefined {
    let best: [TimerHandle, ManualTimer] | undefined;
    for (const e of this.timers) {
      const t = e[1];
      if (t.at > end) continue;
      if (!best || t.at < best[1].at || (t.at === best[1].at && t.seq < best[1].seq)) best = e;
    }
    return best;
  }
}

/** Let queued promise callbacks run: a macrotask-free yield, a few rounds deep. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
