/**
 * All buses and meters of a gateway: one queue and one master per bus (buses run in parallel),
 * one poller per meter with start times staggered across its interval, all on one PollClock.
 * Readings are handed on once per tick, together: the outbox commits what it is given in the same
 * turn of the event loop as one transaction, so a tick's readings cost one commit, not one each.
 */
import { systemClock, type Clock } from '@prepaid-edge/protocols';
import type { BusConfig, GatewayConfig, MeterConfig } from '../../core/config/gateway-config.js';
import { same } from '../../core/config/remote-config.js';
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

  private readonly pollerDeps: PollerDeps;

  constructor(
    public config: GatewayConfig,
    private readonly deps: AcquisitionDeps,
  ) {
    const time = (this.time = deps.clock ?? systemClock);
    const shortestPoll = Math.min(...config.meters.map((m) => m.pollMs));
    this.clock = new PollClock(Math.max(1, Math.min(deps.tickMs ?? DEFAULT_TICK_MS, shortestPoll)), time);
    this.pollerDeps = {
      clock: time,
      reading: (r) => this.hold(r),
      event: deps.event,
      schedule: (at, fn) => this.clock.at(at, fn),
    };
    for (const bus of config.buses) this.addBus(bus);
    for (const m of config.meters) this.addMeter(m);
  }

  private addBus(bus: BusConfig): void {
    const master = this.deps.master?.(bus) ?? defaultMaster(bus);
    this.buses.set(bus.id, { config: bus, queue: new BusQueue(bus.interFrameDelayMs, this.time), master, pollers: [], clock: this.time });
  }

  private addMeter(m: MeterConfig): MeterPoller {
    const rt = this.buses.get(m.bus)!;
    const custom = driverFactories[rt.config.type];
    const driver: MeterDriver = custom ? custom(m, rt) : new ModbusMeterDriver(m, rt.master, rt.queue, this.time);
    const poller = new MeterPoller(driver, this.pollerDeps);
    rt.pollers.push(poller);
    this.pollers.set(m.id, poller);
    return poller;
  }

  /**
   * Hot reload: stop and start only what changed. A bus whose settings are the same keeps its line
   * and queue; a meter whose settings and bus are the same keeps polling on its schedule. A changed
   * bus is closed and opened again with its meters. Readings taken before a poller stops are handed on.
   * The tick stays the one chosen at start (a new meter polling faster than it polls on the tick).
   */
  async reconfigure(next: GatewayConfig): Promise<{ started: string[]; stopped: string[]; kept: string[] }> {
    const nextBuses = new Map(next.buses.map((b) => [b.id, b]));
    const nextMeters = new Map(next.meters.map((m) => [m.id, m]));
    const reopen = [...this.buses.values()].filter((rt) => !same(rt.config, nextBuses.get(rt.config.id))).map((rt) => rt.config.id);
    const oldMeters = new Map(this.config.meters.map((m) => [m.id, m]));
    const stop = [...this.pollers.keys()].filter((id) => {
      const m = oldMeters.get(id)!;
      return reopen.includes(m.bus) || !same(m, nextMeters.get(id));
    });
    await Promise.all(stop.map((id) => this.pollers.get(id)!.stop()));
    this.flush();
    for (const id of stop) {
      const p = this.pollers.get(id)!;
      const rt = this.buses.get(oldMeters.get(id)!.bus);
      if (rt) rt.pollers = rt.pollers.filter((x) => x !== p);
      this.pollers.delete(id);
    }
    for (const id of reopen) {
      const b = this.buses.get(id)!;
      this.buses.delete(id);
      await b.queue.close();
      await b.master.close();
    }
    for (const bus of next.buses) if (!this.buses.has(bus.id)) this.addBus(bus);
    this.config = next;
    const started: string[] = [];
    for (const m of next.meters) {
      if (this.pollers.has(m.id)) continue;
      this.addMeter(m).start(0);
      started.push(m.id);
    }
    return { started, stopped: stop, kept: [...this.pollers.keys()].filter((id) => !started.includes(id)) };
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
