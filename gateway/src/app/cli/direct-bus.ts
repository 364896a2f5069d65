/**
 * The configured buses opened directly by a technician command (commissioning, before the service
 * runs): the gateway's own masters, queues, meter drivers and relay drivers, one bus at a time as
 * the meters need them. While the service runs it holds the serial ports, and opening fails with
 * E_BUS_UNAVAILABLE.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import { createModbusMaster } from '../../adapters/modbus/index.js';
import { BusQueue, driverFactories, dlt645MasterFor, ModbusMeterDriver, type BusRuntime, type MeterDriver } from '../../adapters/acquisition/index.js';
import type { GatewayConfig, MeterConfig } from '../../core/config/gateway-config.js';
import type { RelayDriver } from '../../core/credit/contracts.js';
import { relayDriverFor } from '../../adapters/relay/index.js';

const notModbus = () => Promise.reject(new PrepaidError('E_CONFIG_INVALID', 'not a Modbus bus'));

export class DirectBuses {
  private readonly buses = new Map<string, BusRuntime>();

  constructor(private readonly config: GatewayConfig) {}

  meter(id: string): MeterConfig {
    const m = this.config.meters.find((x) => x.id === id);
    if (!m) throw new PrepaidError('E_CONFIG_INVALID', `--meter: no meter "${id}" in the configuration (meters: ${this.config.meters.map((x) => x.id).join(', ')})`, { path: 'meter', meter: id });
    return m;
  }

  private bus(id: string): BusRuntime {
    let rt = this.buses.get(id);
    if (rt) return rt;
    const config = this.config.buses.find((b) => b.id === id);
    if (!config) throw new PrepaidError('E_CONFIG_INVALID', `no bus "${id}" in the configuration`, { path: 'bus', bus: id });
    const master = config.type === 'dlt645' ? { read: notModbus, writeCoil: notModbus, writeRegisters: notModbus, close: async () => {} } : createModbusMaster(config);
    rt = { config, queue: new BusQueue(config.interFrameDelayMs), master, pollers: [] };
    this.buses.set(id, rt);
    return rt;
  }

  driver(meterId: string): MeterDriver {
    const m = this.meter(meterId);
    const rt = this.bus(m.bus);
    const custom = driverFactories[rt.config.type];
    return custom ? custom(m, rt) : new ModbusMeterDriver(m, rt.master, rt.queue);
  }

  relay(meterId: string): RelayDriver {
    const m = this.meter(meterId);
    const rt = this.bus(m.bus);
    return relayDriverFor(m, {
      modbusBus: (id) => (id === rt.config.id && rt.config.type !== 'dlt645' ? { master: rt.master, queue: rt.queue } : undefined),
      dlt645Bus: (id) => (id === rt.config.id && rt.config.type === 'dlt645' ? dlt645MasterFor(rt) : undefined),
      board: () => undefined, // GPIO relays need the johnny-five board the service owns: not from here
    });
  }

  /** One poll of a meter with the meter's retry budget. */
  async read(meterId: string): Promise<Record<string, number>> {
    const driver = this.driver(meterId);
    let retries = driver.meter.retries;
    return driver.read(() => retries-- > 0);
  }

  async close(): Promise<void> {
    await Promise.all([...this.buses.values()].map(async (b) => {
      await b.queue.close();
      await b.master.close();
    }));
  }
}
