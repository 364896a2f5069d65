/**
 * Polls one meter on its interval, turns each poll into a reading or a recorded failure, and
 * backs off exponentially while the meter is dead, so it cannot starve the live meters on its bus.
 * Acquisition never depends on the uplink: readings go to the outbox whatever MQTT is doing.
 */
import { isPrepaidError } from '@prepaid-edge/protocols';
import type { NewEvent, NewReading } from '../model.js';
import { recordError, recordFailure, recordSuccess, newMeterHealth, type MeterHealth } from './health.js';
import { checkCounters, checkRanges, CounterWatch, type PreviousReading } from './plausibility.js';
import type { MeterDriver } from './modbus-driver.js';

export interface PollerDeps {
  /** Epoch ms (wall clock) for timestamps. */
  now: () => number;
  /** Monotonic ms for intervals (performance.now). */
  monotonic: () => number;
  reading: (r: NewReading) => void;
  event: (e: NewEvent) => void;
  setTimer: (fn: () => void, ms: number) => NodeJS.Timeout;
  clearTimer: (t: NodeJS.Timeout) => void;
}

const RETRYABLE = new Set(['E_MODBUS_TIMEOUT', 'E_MODBUS_CRC', 'E_MODBUS_REPLY']);
/** At most one read-rejected event per meter per this long (events are never dropped, so never flood them). */
const REJECT_EVENT_EVERY_MS = 60_000;

export class MeterPoller {
  readonly health: MeterHealth;
  latest: NewReading | undefined;
  private last: PreviousReading | undefined;
  private readonly watch = new CounterWatch();
  private timer: NodeJS.Timeout | undefined;
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
    this.nextDue = this.deps.monotonic() + offsetMs;
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.timer) this.deps.clearTimer(this.timer);
    await this.inFlight;
  }

  /** Resume from the last good reading after a restart (no false counter resets). */
  seed(prev: PreviousReading): void {
    this.last = prev;
  }

  private arm(): void {
    if (!this.running) return;
    const wait = Math.max(0, this.nextDue - this.deps.monotonic());
    this.timer = this.deps.setTimer(() => {
      this.inFlight = this.pollOnce().finally(() => {
        this.inFlight = undefined;
        this.arm();
      });
    }, wait);
  }

  /** One poll with retries; schedules the next one. Exposed for tests. */
  async pollOnce(): Promise<void> {
    const { meter } = this.driver;
    const started = this.deps.monotonic();
    let attempt = 0;
    for (;;) {
      try {
        const values = await this.driver.read();
        this.accept(values, this.deps.monotonic() - started);
        break;
      } catch (e) {
        const code = isPrepaidError(e) ? e.code : 'E_BUS_UNAVAILABLE';
        recordError(this.health, code);
        if (RETRYABLE.has(code) && attempt < meter.retries && !this.stopped) {
          attempt++;
          continue;
        }
        this.fail(code, (e as Error).message);
        break;
      }
    }
    const ok = this.health.consecutiveFailures === 0;
    const interval = ok ? meter.pollMs : Math.min(meter.pollMs * 2 ** this.health.consecutiveFailures, meter.maxBackoffMs);
    this.health.backoffMs = ok ? 0 : interval;
    // Keep the cadence (due times step by the interval) unless we fell behind by a whole interval.
    this.nextDue = Math.max(this.nextDue + interval, this.deps.monotonic() + (ok ? 0 : interval - meter.pollMs));
    if (this.nextDue < this.deps.monotonic()) this.nextDue = this.deps.monotonic();
  }

  private accept(values: Record<string, number>, latencyMs: number): void {
    const ts = this.deps.now();
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
    const now = this.deps.monotonic();
    if (now - this.lastRejectEventAt >= REJECT_EVENT_EVERY_MS) {
      this.deps.event({ ts: this.deps.now(), type: 'read-rejected', meter: this.driver.meter.id, data: { detail, count: this.rejectedSinceEvent } });
      this.lastRejectEventAt = now;
      this.rejectedSinceEvent = 0;
    }
  }

  private fail(code: string, message: string): void {
    recordFailure(this.health, code, message);
    if (this.health.state !== 'lost' && this.health.consecutiveFailures >= this.driver.meter.commLostAfter) {
      this.health.state = 'lost';
      this.deps.event({ ts: this.deps.now(), type: 'comm-lost', meter: this.driver.meter.id, data: { bus: this.driver.meter.bus, lastError: this.health.lastError, lastSeen: this.health.lastSeen } });
    }
  }
}
