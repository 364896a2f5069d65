/**
 * Reads one Modbus meter: the profile's readable registers, coalesced into as few block reads as
 * the map allows, all in one session on the bus queue (the meter's blocks back to back, a failed
 * block repeated at once when the poller allows it), decoded into canonical values.
 */
import { decodeBlock, loadProfile, MEASUREMENTS, planReads, type MeterProfile, type ReadBlock, type RegisterDef } from '@prepaid-edge/protocols';
import type { MeterConfig } from '../config/types.js';
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

export class ModbusMeterDriver implements MeterDriver {
  readonly profile: MeterProfile;
  readonly defs: readonly RegisterDef[];
  readonly blocks: ReadBlock[];
  private readonly integers: string[];

  constructor(
    readonly meter: MeterConfig,
    private readonly master: ModbusMaster,
    private readonly queue: BusQueue,
  ) {
    this.profile = loadProfile(meter.profile);
    this.defs = this.profile.registers.filter((d) => d.access !== 'w');
    this.blocks = planReads(this.defs);
    this.integers = this.defs.filter((d) => MEASUREMENTS[d.name]?.integer).map((d) => d.name);
  }

  get transactionsPerPoll(): number {
    return this.blocks.length;
  }

  read(retry?: RetryPolicy): Promise<Record<string, number>> {
    const { unit } = this.meter;
    return this.queue.session(async (tx) => {
      const out: Record<string, number> = {};
      for (const b of this.blocks) {
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
      return out;
    });
  }
}
