/**
 * Reads one DL/T 645 meter: every DI its profile lists (gateway/profiles/dlt645/<id>.json), one
 * transaction each, back to back in one session on the bus queue (a failed DI repeated at once when
 * the poller allows it), into canonical measurement names (energy in integer Wh, W, V, A, Hz).
 */
import { MEASUREMENTS, PrepaidError, type RegisterDef } from '@prepaid-edge/protocols';
import type { MeterConfig } from '../../core/config/gateway-config.js';
import type { Dlt645Master } from './dlt645-master.js';
import type { MeterDriver, RetryPolicy } from './modbus-driver.js';
import type { Dlt645Profile } from './dlt645-profile.js';

export class Dlt645MeterDriver implements MeterDriver {
  readonly address: string;
  /**
   * The plausibility checks take RegisterDefs; only name, unit and min/max matter to them, so each
   * DI stands in as a read-only "register" numbered by its place in the profile.
   */
  readonly defs: readonly RegisterDef[];

  constructor(
    readonly meter: MeterConfig,
    readonly master: Dlt645Master,
    readonly profile: Dlt645Profile,
  ) {
    if (!meter.address) throw new PrepaidError('E_CONFIG_INVALID', `meter ${meter.id}: a DL/T 645 meter needs its 12-digit address`, { path: 'address', meter: meter.id });
    this.address = meter.address;
    this.defs = profile.reads.map((r, i) => ({
      name: r.name,
      kind: 'input',
      address: i,
      type: 'u32',
      wordOrder: 'high-first',
      scale: 1,
      unit: r.item.canonicalUnit,
      access: 'r',
      description: `DL/T 645 DI ${r.di} (${r.item.key})`,
      ...(r.min !== undefined ? { min: r.min } : {}),
      ...(r.max !== undefined ? { max: r.max } : {}),
    }));
  }

  get transactionsPerPoll(): number {
    return this.profile.reads.length;
  }

  read(retry?: RetryPolicy): Promise<Record<string, number>> {
    return this.master.queue.session(async (tx) => {
      const out: Record<string, number> = {};
      for (const r of this.profile.reads) {
        for (;;) {
          try {
            const reading = await this.master.readData(this.address, r.di, { tx });
            out[r.name] = MEASUREMENTS[r.name]?.integer ? Math.round(reading.value) : reading.value;
            break;
          } catch (e) {
            if (!retry?.(e)) throw e;
          }
        }
      }
      return out;
    });
  }
}
