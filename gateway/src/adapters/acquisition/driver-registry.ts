/** Meter drivers for bus types that are not plain Modbus (DL/T 645) register here. */
import { PrepaidError, type Clock } from '@prepaid-edge/protocols';
import type { BusConfig, MeterConfig } from '../../core/config/gateway-config.js';
import type { MeterDriver } from './modbus-driver.js';
import type { BusQueue } from './bus-queue.js';
import type { MeterPoller } from './meter-poller.js';
import type { ModbusMaster } from './modbus-transport.js';
import { Dlt645Master } from './dlt645-master.js';
import { Dlt645MeterDriver } from './dlt645-driver.js';
import { loadDlt645Profile } from './dlt645-profile.js';

/** One bus at run time (built by Acquisition, shared with the drivers made here). */
export interface BusRuntime {
  config: BusConfig;
  queue: BusQueue;
  master: ModbusMaster;
  pollers: MeterPoller[];
  /** The acquisition's clock (default: the system clock). */
  clock?: Clock;
}

export type DriverFactory = (meter: MeterConfig, bus: BusRuntime) => MeterDriver;

const dlt645Masters = new WeakMap<BusRuntime, Dlt645Master>();

/**
 * The one DL/T 645 master of a dlt645 bus, shared by its meter drivers and relay drivers, queued on
 * the bus's queue. Created on first use; the bus's `master.close()` (called by Acquisition.stop)
 * closes it too, since a dlt645 bus has no Modbus master of its own.
 */
export function dlt645MasterFor(bus: BusRuntime): Dlt645Master {
  const existing = dlt645Masters.get(bus);
  if (existing) return existing;
  const cfg = bus.config;
  if (cfg.type !== 'dlt645') throw new PrepaidError('E_CONFIG_INVALID', `bus ${cfg.id} is ${cfg.type}, not dlt645`, { bus: cfg.id, path: 'type' });
  const master = new Dlt645Master(cfg, { queue: bus.queue, ...(bus.clock ? { clock: bus.clock } : {}) });
  dlt645Masters.set(bus, master);
  const stub = bus.master;
  bus.master = {
    read: stub.read.bind(stub),
    writeCoil: stub.writeCoil.bind(stub),
    writeRegisters: stub.writeRegisters.bind(stub),
    close: async () => {
      await master.close();
      await stub.close();
    },
  };
  return master;
}

export const driverFactories: Partial<Record<string, DriverFactory>> = {
  dlt645: (meter, bus) => new Dlt645MeterDriver(meter, dlt645MasterFor(bus), loadDlt645Profile(meter.profile)),
};
