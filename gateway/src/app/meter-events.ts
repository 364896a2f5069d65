/** Wire the meter event log upload to the buses: one port per prepaid meter on a Modbus bus, one per record kind of each DL/T 645 meter. */
import type { Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../core/config/gateway-config.js';
import type { NewEvent } from '../core/model.js';
import type { Acquisition } from '../adapters/acquisition/index.js';
import type { Logger } from '../adapters/log.js';
import type { SqliteOutbox } from '../adapters/store/index.js';
import { dlt645MasterFor } from '../adapters/acquisition/driver-registry.js';
import { wallMs } from '../core/tariff/local-time.js';
import { dlt645EventRecordPorts, MeterEventWalker, walkPrepaidEventLog, type EventLogPort } from '../adapters/meter-events/index.js';

/** Undefined when no meter keeps an event log the gateway can read. */
export function meterEventWalker(
  config: GatewayConfig,
  acquisition: Acquisition,
  deps: { clock: Clock; log: Logger; outbox: SqliteOutbox; event: (e: NewEvent) => void; stored: (e: NewEvent) => void; act?: (e: NewEvent) => Promise<void> },
): MeterEventWalker | undefined {
  const ports: EventLogPort[] = [];
  const zone = config.gateway.timezone;
  const offsetAt = (ms: number): number => Math.round((wallMs(ms, zone) - ms) / 60_000);
  for (const m of config.meters) {
    const b = acquisition.buses.get(m.bus);
    // DL/T 645 meters: their event records, one log per kind.
    if (b && b.config.type === 'dlt645' && m.address) ports.push(...dlt645EventRecordPorts(m.id, m.bus, m.address, dlt645MasterFor(b), deps.clock, offsetAt));
    if (!b || b.config.type === 'dlt645' || m.profile !== 'prepaid' || m.unit === undefined) continue;
    const unit = m.unit;
    ports.push({ meter: m.id, bus: m.bus, walk: (last) => walkPrepaidEventLog(b.master, b.queue, unit, last) });
  }
  return ports.length ? new MeterEventWalker({ ...deps, ports }) : undefined;
}
