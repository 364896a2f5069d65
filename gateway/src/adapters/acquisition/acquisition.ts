/**
 * All buses and meters of a gateway: one queue and one master per bus (buses run in parallel),
 * one poller per meter with start times staggered across its interval, all on one PollClock.
 * Readings are handed on once per tick, together: the outbox commits what it is given in the same
 * turn of the event loop as one transaction, so a tick's readings cost one commit, not one each.
 */
import { systemClock, type Clock } from '@prepaid-edge/protocols';
import type { BusConfig, GatewayConfig } from '../../core/config/gateway-config.js';
import type { NewEvent, NewReading } from '../../core/model.js';
import { BusQueue } from './bus-queue.js';
import { busHealth, type BusHealth, type MeterHealth } from './health.js';
import { ModbusMeterDriver, type MeterDriver } from './modbus-driver.js';
import { MeterPoller, type PollerDeps } from './meter-poller.js';
import { PollClock } from './poll-clock.js';
import type { ModbusMaster } from './modbus-transport.js';
import { createModbusMaster } from '../modbus/index.js';
import { driverFactories, type BusRuntime } from './driver-registry.js';

export interface AcquisitionDeps {
  /** Wall time for readings and events, monotonic time and timers for polling (default: the system clock). */
  clock?: Clock;
  reading: (r: NewReading) => void;
  event: (e: NewEvent) => void;
  /** Build a master for a bus (tests inject one; default: the gateway's own, modbus-serial where a bus says `driver: modbus-serial`). */
  master?: (bus: BusConfig) => ModbusMaster;
  /**
   * Polls due within one tick start together, and the readings of a tick are handed on together
   * at the next one (ms, default DEFAULT_TICK_MS, never more than the shortest pollMs).
   */
  tickMs?: number;
}

export const DEFAULT_TICK_MS = 250;

export class Acquisition {
  readonly buses = new Map<string, BusRuntime>();
  readonly pollers = new Map<string, MeterPoller>();
  readonly clock: PollClock;
  private held: NewReading[] = [];
  private cancelHandOn: (() => void) | undefined;
  private readonly time: Clock;

  constructor(
    readonly config: GatewayConfig,
    private readonly deps: AcquisitionDeps,
  ) {
    const time = (this.time = deps.clock ?? systemClock);
    const shortestPoll = Math.min(...config.meters.map((m) => m.pollMs));
    this.clock = new PollClock(Math.max(1, Math.min(deps.tickMs ?? DEFAULT_TICK_MS, shortestPoll)), time);
    const pollerDeps: PollerDeps = {
      clock: time,
      reading: (r) => this.hold(r),
      event: deps.event,
      schedule: (at, fn) => this.clock.at(at, fn),
    };
    for (const bus of config.buses) {
      const master = deps.master?.(bus) ?? defaultMaster(bus);
      this.buses.set(bus.id, { config: bus, queue: new BusQueue(bus.interFrameDelayMs, time), master, pollers: [], clock: time });
    }
    for (const m of config.meters) {
      const rt = this.buses.get(m.bus)!;
      const custom = driverFactories[rt.config.type];
      const driver: MeterDriver = custom ? custom(m, rt) : new ModbusMeterDriver(m, rt.master, rt.queue, time);
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

  /** Finish the transaction in flight on every bus, hand on the readings held, then close the lines. */
  async stop(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
    this.flush();
    this.clock.stop();
    await Promise.all([...this.buses.values()].map(async (b) => {
      await b.queue.close();
      await b.master.close();
    }));
  }

  private hold(r: NewReading): void {
    this.held.push(r);
    this.cancelHandOn ??= this.clock.at(this.time.monotonic(), () => this.flush());
  }

  /** Hand on the readings held for this tick now (the tick does it by itself; tests call it). */
  flush(): void {
    this.cancelHandOn?.();
    this.cancelHandOn = undefined;
    const rs = this.held;
    this.held = [];
    for (const r of rs) this.deps.reading(r);
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
  // Reply timeouts and frame gaps are wire time: the bytes cross a real socket or line whatever the
  // gateway's clock (a simulated or manual clock would never, or too soon, time a reply out).
  return createModbusMaster(bus);
}
