/**
 * Polls one meter on its interval, turns each poll into a reading or a recorded failure, and
 * backs off exponentially while the meter is silent, so a dead meter cannot starve the live ones
 * on its bus. Only silence (timeouts, bus gone) counts as dead: a garbled reply (bad CRC, wrong
 * length) proves the meter is alive on a noisy line, so the transaction is repeated at once and
 * never leads to backoff or comm-lost.
 * Acquisition never depends on the uplink: readings go to the outbox whatever MQTT is doing.
 */
import { isPrepaidError, type Clock } from '@prepaid-edge/protocols';
import type { NewEvent, NewReading } from '../../core/model.js';
import { recordError, recordFailure, recordSuccess, newMeterHealth, type MeterHealth } from './health.js';
import { checkCounters, checkRanges, CounterWatch, type PreviousReading } from '../../core/plausibility.js';
import type { MeterDriver } from './modbus-driver.js';

export interface PollerDeps {
  /** Wall time for timestamps, monotonic time for intervals, and the poller's own timer. */
  clock: Clock;
  reading: (r: NewReading) => void;
  event: (e: NewEvent) => void;
  /** Run `fn` at monotonic time `at` or a little later (the shared PollClock); returns a cancel. Default: a timer of its own on `clock`. */
  schedule?: (at: number, fn: () => void) => () => void;
}

/** No reply at all: the meter may be dead. Retried up to `retries` times a poll, and counted towards backoff and comm-lost. */
export const NO_REPLY_CODES: ReadonlySet<string> = new Set(['E_MODBUS_TIMEOUT', 'E_DLT645_TIMEOUT', 'E_BUS_UNAVAILABLE']);
/**
 * A reply that arrived damaged: the meter is alive, the line is noisy. Retried at once, up to
 * `retries` times per transaction of the poll (a retry costs one transaction, not a timeout).
 */
export const GARBLED_CODES: ReadonlySet<string> = new Set(['E_MODBUS_CRC', 'E_MODBUS_REPLY', 'E_FRAME_CHECKSUM', 'E_FRAME_CRC']);
/** At most one read-rejected event per meter per this long (events are never dropped, so never flood them). */
const REJECT_EVENT_EVERY_MS = 60_000;

function codeOf(e: unknown): string {
  return isPrepaidError(e) ? e.code : 'E_BUS_UNAVAILABLE';
}

export class MeterPoller {
  readonly health: MeterHealth;
  latest: NewReading | undefined;
  private last: PreviousReading | undefined;
  private readonly watch = new CounterWatch();
  private cancelTimer: (() => void) | undefined;
  /** Consecutive failed polls that ended in silence: drives the backoff and comm-lost. */
  private silentPolls = 0;
  private nextDue = 0;
  private running = false;
  private stopped = false;
  private inFlight: Promise<void> | undefined;
  private lastRejectEventAt = -Infinity;
  private rejectedSinceEvent = 0;

  constructor(
    readonly driver: MeterDriver,
    private readonly deps: PollerDeps,
  ) {
    this.health = newMeterHealth(driver.meter.id, driver.meter.bus);
  }

  /** Start polling after `offsetMs` (staggered starts spread a bus's load over the interval). */
  start(offsetMs = 0): void {
    this.running = true;
    this.nextDue = this.deps.clock.monotonic() + offsetMs;
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.inFlight;
  }

  /** Resume from the last good reading after a restart (no false counter resets). */
  seed(prev: PreviousReading): void {
    this.last = prev;
  }

  private arm(): void {
    if (!this.running) return;
    const run = () => {
      this.cancelTimer = undefined;
      this.inFlight = this.pollOnce().finally(() => {
        this.inFlight = undefined;
        this.arm();
      });
    };
    if (this.deps.schedule) {
      this.cancelTimer = this.deps.schedule(this.nextDue, run);
    } else {
      const { clock } = this.deps;
      const t = clock.setTimeout(run, Math.max(0, this.nextDue - clock.monotonic()));
      this.cancelTimer = () => clock.clearTimeout(t);
    }
  }

  /** One poll with retries; schedules the next one. Exposed for tests. */
  async pollOnce(): Promise<void> {
    const { meter } = this.driver;
    const started = this.deps.clock.monotonic();
    let silentRetries = meter.retries;
    let garbledRetries = meter.retries * Math.max(1, this.driver.transactionsPerPoll ?? 1);
    let judged: unknown;
    /** Count the error; true if the failed transaction (or the whole read) may go again at once. */
    const retry = (e: unknown): boolean => {
      judged = e;
      const code = codeOf(e);
      recordError(this.health, code);
      if (this.stopped) return false;
      if (NO_REPLY_CODES.has(code) && silentRetries > 0) {
        silentRetries--;
        return true;
      }
      if (GARBLED_CODES.has(code) && garbledRetries > 0) {
        garbledRetries--;
        return true;
      }
      return false;
    };
    let silent = false;
    for (;;) {
      try {
        const values = await this.driver.read(retry);
        this.silentPolls = 0;
        this.accept(values, this.deps.clock.monotonic() - started);
        break;
      } catch (e) {
        // A driver that takes `retry` has already asked about this error (and was told no).
        if (e !== judged && retry(e)) continue;
        const code = codeOf(e);
        silent = NO_REPLY_CODES.has(code);
        this.silentPolls = silent ? this.silentPolls + 1 : 0;
        this.fail(code, (e as Error).message);
        break;
      }
    }
    const backoff = silent ? Math.min(meter.pollMs * 2 ** this.silentPolls, meter.maxBackoffMs) : 0;
    const interval = backoff || meter.pollMs;
    this.health.backoffMs = backoff;
    // Keep the cadence (due times step by the interval) unless we fell behind by a whole interval.
    this.nextDue = Math.max(this.nextDue + interval, this.deps.clock.monotonic() + (backoff ? interval - meter.pollMs : 0));
    if (this.nextDue < this.deps.clock.monotonic()) this.nextDue = this.deps.clock.monotonic();
  }

  private accept(values: Record<string, number>, latencyMs: number): void {
    const ts = this.deps.clock.now();
    const meter = this.driver.meter.id;
    const range = checkRanges(this.driver.defs, values);
    if (!range.ok) return this.reject(range.detail);
    const counters = checkCounters(values, ts, this.last);
    if (!counters.ok) {
      const baseline = this.watch.suspect({ ts, values });
      if (!baseline) return this.reject(counters.detail);
      this.deps.event({ ts, type: 'counter-reset', meter, data: { field: counters.field, from: this.last?.values[counters.field] ?? null, to: counters.value, reason: counters.reason } });
    } else this.watch.clear();
    const wasLost = this.health.state === 'lost';
    recordSuccess(this.health, latencyMs, ts);
    this.health.state = 'ok';
    if (wasLost) this.deps.event({ ts, type: 'comm-restored', meter, data: { bus: this.driver.meter.bus } });
    this.last = { ts, values };
    this.latest = { meter, ts, values };
    this.deps.reading(this.latest);
  }

  private reject(detail: string): void {
    recordError(this.health, 'E_READ_IMPLAUSIBLE');
    this.fail('E_READ_IMPLAUSIBLE', detail);
    this.rejectedSinceEvent++;
    const now = this.deps.clock.monotonic();
    if (now - this.lastRejectEventAt >= REJECT_EVENT_EVERY_MS) {
      this.deps.event({ ts: this.deps.clock.now(), type: 'read-rejected', meter: this.driver.meter.id, data: { detail, count: this.rejectedSinceEvent } });
      this.lastRejectEventAt = now;
      this.rejectedSinceEvent = 0;
    }
  }

  private fail(code: string, message: string): void {
    recordFailure(this.health, code, message);
    if (this.health.state !== 'lost' && this.silentPolls >= this.driver.meter.commLostAfter) {
      this.health.state = 'lost';
      this.deps.event({ ts: this.deps.clock.now(), type: 'comm-lost', meter: this.driver.meter.id, data: { bus: this.driver.meter.bus, lastError: this.health.lastError, lastSeen: this.health.lastSeen } });
    }
  }
}
