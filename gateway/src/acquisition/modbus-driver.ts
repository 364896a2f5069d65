/**
 * Reads one Modbus meter: the profile's readable registers, coalesced into as few block reads as
 * the map allows, each block one transaction on the bus queue, decoded into canonical values.
 */
import { decodeBlock, loadProfile, MEASUREMENTS, planReads, type MeterProfile, type ReadBlock, type RegisterDef } from '@prepaid-edge/protocols';
import type { MeterConfig } from '../config/types.js';
import type { BusQueue } from './bus-queue.js';
import type { ModbusMaster } from './modbus-transport.js';

export interface MeterDriver {
  readonly meter: MeterConfig;
  readonly defs: readonly RegisterDef[];
  /** One poll: all values, or a PrepaidError (timeout, CRC, exception, ...). */
  read(): Promise<Record<string, number>>;
}

export class ModbusMeterDriver implements MeterDriver {
  readonly profile: MeterProfile;
  readonly defs: readonly RegisterDef[];
  readonly blocks: ReadBlock[];

  constructor(
    readonly meter: MeterConfig,
    private readonly master: ModbusMaster,
    private readonly queue: BusQueue,
  ) {
    this.profile = loadProfile(meter.profile);
    this.defs = this.profile.registers.filter((d) => d.access !== 'w');
    this.blocks = planReads(this.defs);
  }

  async read(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const b of this.blocks) {
      const words = await this.queue.run(() => this.master.read(this.meter.unit, b.kind, b.address, b.count));
      Object.assign(out, decodeBlock(b, words));
    }
    for (const [k, v] of Object.entries(out)) if (MEASUREMENTS[k]?.integer && Number.isFinite(v)) out[k] = Math.round(v);
    return out;
  }
}
