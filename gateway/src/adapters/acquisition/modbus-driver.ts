/**
 * Reads one Modbus meter: the profile's readable registers, coalesced into as few block reads as
 * the map allows, all in one session on the bus queue (the meter's blocks back to back, a failed
 * block repeated at once when the poller allows it), decoded into canonical values.
 */
import { decodeBlock, loadProfile, MEASUREMENTS, planPollReads, systemClock, type Clock, type MeterProfile, type PollPlan, type ReadBlock, type RegisterDef } from '@prepaid-edge/protocols';
import type { MeterConfig } from '../../core/config/gateway-config.js';
import type { BusQueue } from './bus-queue.js';
import type { ModbusMaster } from './modbus-transport.js';

/**
 * Asked by a driver after a failed transaction: true to repeat that transaction at once. The
 * poller behind it counts the error and keeps the poll's retry budget.
 */
export type RetryPolicy = (error: unknown) => boolean;

export interface MeterDriver {
  readonly meter: MeterConfig;
  readonly defs: readonly RegisterDef[];
  /** Transactions one poll takes when nothing fails (default 1); the retry budget for garbled replies scales with it. */
  readonly transactionsPerPoll?: number;
  /**
   * One poll: all values, or a PrepaidError (timeout, CRC, exception, ...). A driver that takes
   * `retry` repeats a failed transaction while it answers true; one that ignores it is retried
   * as a whole by the poller.
   */
  read(retry?: RetryPolicy): Promise<Record<string, number>>;
}

/** How often registers a profile marks `poll: 'slow'` are read when the meter config says nothing. */
export const DEFAULT_SLOW_POLL_MS = 15 * 60_000;

export class ModbusMeterDriver implements MeterDriver {
  readonly profile: MeterProfile;
  readonly defs: readonly RegisterDef[];
  /** Every read the map needs: `every` then `slow`. */
  readonly blocks: ReadBlock[];
  readonly plan: PollPlan;
  private readonly integers: string[];
  private readonly slowPollMs: number;
  /** Monotonic ms of the last poll that read the slow blocks (-Infinity: never, so the first poll does). */
  private slowReadAt = -Infinity;

  constructor(
    readonly meter: MeterConfig,
    private readonly master: ModbusMaster,
    private readonly queue: BusQueue,
    private readonly clock: Pick<Clock, 'monotonic'> = systemClock,
  ) {
    this.profile = loadProfile(meter.profile);
    this.defs = this.profile.registers.filter((d) => d.access !== 'w');
    this.plan = planPollReads(this.defs);
    this.blocks = [...this.plan.every, ...this.plan.slow];
    this.integers = this.defs.filter((d) => MEASUREMENTS[d.name]?.integer).map((d) => d.name);
    this.slowPollMs = meter.slowPollMs ?? DEFAULT_SLOW_POLL_MS;
  }

  /** Whether the next poll reads the slow blocks too: at the first poll, then every slowPollMs. */
  private slowDue(): boolean {
    return this.plan.slow.length > 0 && this.clock.monotonic() - this.slowReadAt >= this.slowPollMs;
  }

  get transactionsPerPoll(): number {
    return this.plan.every.length + (this.slowDue() ? this.plan.slow.length : 0);
  }

  /**
   * One poll. A reading holds what this poll read: the slow registers' values appear only in the
   * readings of the polls that read them (first poll, then every slowPollMs), never repeated.
   */
  read(retry?: RetryPolicy): Promise<Record<string, number>> {
    const { unit } = this.meter;
    return this.queue.session(async (tx) => {
      const slow = this.slowDue();
      const blocks = slow ? this.blocks : this.plan.every;
      const out: Record<string, number> = {};
      for (const b of blocks) {
        let words: number[];
        for (;;) {
          try {
            words = await tx(() => this.master.read(unit, b.kind, b.address, b.count));
            break;
          } catch (e) {
            if (!retry?.(e)) throw e;
          }
        }
        Object.assign(out, decodeBlock(b, words));
      }
      for (const k of this.integers) {
        const v = out[k];
        if (v !== undefined && Number.isFinite(v)) out[k] = Math.round(v);
      }
      // Only a poll that read them counts: after a failed one the next poll tries again.
      if (slow) this.slowReadAt = this.clock.monotonic();
      return out;
    });
  }
}
