/**
 * All buses and meters of a gateway: one queue and one master per bus (buses run in parallel),
 * one poller per meter with start times staggered across its interval.
 */
import type { BusConfig, GatewayConfig } from '../config/types.js';
import type { NewEvent, NewReading } from '../model.js';
import { BusQueue } from './bus-queue.js';
import { busHealth, type BusHealth, type MeterHealth } from './health.js';
import { ModbusMeterDriver, type MeterDriver } from './modbus-driver.js';
import { MeterPoller, type PollerDeps } from './meter-poller.js';
import { ModbusSerialMaster, type ModbusMaster } from './modbus-transport.js';
import { driverFactories } from './driver-registry.js';

export interface AcquisitionDeps {
  now?: () => number;
  monotonic?: () => number;
  reading: (r: NewReading) => void;
  event: (e: NewEvent) => void;
  /** Build a master for a bus (tests inject one; default: modbus-serial). */
  master?: (bus: BusConfig) => ModbusMaster;
}

export interface BusRuntime {
  config: BusConfig;
  queue: BusQueue;
  master: ModbusMaster;
  pollers: MeterPoller[];
}

export class Acquisition {
  readonly buses = new Map<string, BusRuntime>();
  readonly pollers = new Map<string, MeterPoller>();

  constructor(
    readonly config: GatewayConfig,
    deps: AcquisitionDeps,
  ) {
    const pollerDeps: PollerDeps = {
      now: deps.now ?? Date.now,
      monotonic: deps.monotonic ?? (() => performance.now()),
      reading: deps.reading,
      event: deps.event,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t),
    };
    for (const bus of config.buses) {
      const master = deps.master?.(bus) ?? defaultMaster(bus);
      this.buses.set(bus.id, { config: bus, queue: new BusQueue(bus.interFrameDelayMs), master, pollers: [] });
    }
    for (const m of config.meters) {
      const rt = this.buses.get(m.bus)!;
      const custom = driverFactories[rt.config.type];
      const driver: MeterDriver = custom ? custom(m, rt) : new ModbusMeterDriver(m, rt.master, rt.queue);
      const poller = new MeterPoller(driver, pollerDeps);
      rt.pollers.push(poller);
      this.pollers.set(m.id, poller);
    }
  }

  start(): void {
    for (const rt of this.buses.values()) {
      rt.pollers.forEach((p, i) => p.start((i * p.driver.meter.pollMs) / Math.max(1, rt.pollers.length)));
    }
  }

  /** Finish the transaction in flight on every bus, then close the lines. */
  async stop(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
    await Promise.all([...this.buses.values()].map(async (b) => {
      await b.queue.close();
      await b.master.close();
    }));
  }

  meterHealth(): MeterHealth[] {
    return [...this.pollers.values()].map((p) => p.health);
  }

  busHealth(): BusHealth[] {
    return [...this.buses.values()].map((b) => busHealth(b.config.id, b.pollers.map((p) => p.health), b.queue.transactions, b.queue.depth));
  }
}

function defaultMaster(bus: BusConfig): ModbusMaster {
  if (bus.type === 'dlt645') {
    // DL/T 645 buses speak through their own driver (driver-registry); no Modbus master on them.
    return { read: () => Promise.reject(new Error('not a Modbus bus')), writeCoil: () => Promise.reject(new Error('not a Modbus bus')), writeRegisters: () => Promise.reject(new Error('not a Modbus bus')), close: async () => {} };
  }
  return new ModbusSerialMaster(bus);
}
