/** Wire the meter clock keeper to the buses: a port per prepaid meter, a broadcast per DL/T 645 line. */
import type { Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../core/config/gateway-config.js';
import type { NewEvent } from '../core/model.js';
import type { Acquisition } from '../adapters/acquisition/index.js';
import { dlt645MasterFor } from '../adapters/acquisition/driver-registry.js';
import type { Logger } from '../adapters/log.js';
import { wallMs } from '../core/tariff/local-time.js';
import { dlt645BroadcastClockPort, dlt645MeterClockPort, MeterClockKeeper, prepaidClockPort, type MeterClockPort } from '../adapters/meter-clock/index.js';

/** Undefined when disabled or when no meter has a clock the gateway can set. */
export function meterClockKeeper(config: GatewayConfig, acquisition: Acquisition, deps: { clock: Clock; log: Logger; event: (e: NewEvent) => void }): MeterClockKeeper | undefined {
  if (!config.meterClocks.enabled) return undefined;
  const ports: MeterClockPort[] = [];
  const zone = config.gateway.timezone;
  const offsetAt = (ms: number): number => Math.round((wallMs(ms, zone) - ms) / 60_000);
  for (const m of config.meters) {
    const b = acquisition.buses.get(m.bus);
    if (!b || b.config.type === 'dlt645' || m.profile !== 'prepaid' || m.unit === undefined) continue;
    ports.push(prepaidClockPort(m.id, m.bus, m.unit, b.master, b.queue, deps.clock));
  }
  for (const bus of config.buses) {
    const b = acquisition.buses.get(bus.id);
    if (b && bus.type === 'dlt645' && config.meters.some((m) => m.bus === bus.id)) ports.push(dlt645BroadcastClockPort(bus.id, dlt645MasterFor(b), offsetAt));
  }
  // After the broadcasts: each DL/T 645 meter's clock read, so the drift left after a sync is reported per meter.
  for (const m of config.meters) {
    const b = acquisition.buses.get(m.bus);
    if (b && b.config.type === 'dlt645' && m.address) ports.push(dlt645MeterClockPort(m.id, m.bus, m.address, dlt645MasterFor(b), deps.clock, offsetAt));
  }
  if (ports.length === 0) return undefined;
  return new MeterClockKeeper({ ...deps, ports, config: config.meterClocks });
}
