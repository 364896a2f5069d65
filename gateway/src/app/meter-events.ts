/** Wire the meter event log upload to the buses: one port per prepaid meter on a Modbus bus. */
import type { Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../core/config/gateway-config.js';
import type { NewEvent } from '../core/model.js';
import type { Acquisition } from '../adapters/acquisition/index.js';
import type { Logger } from '../adapters/log.js';
import type { SqliteOutbox } from '../adapters/store/index.js';
import { MeterEventWalker, walkPrepaidEventLog, type EventLogPort } from '../adapters/meter-events/index.js';

/** Undefined when no meter keeps an event log the gateway can read. */
export function meterEventWalker(
  config: GatewayConfig,
  acquisition: Acquisition,
  deps: { clock: Clock; log: Logger; outbox: SqliteOutbox; event: (e: NewEvent) => void; stored: (e: NewEvent) => void },
): MeterEventWalker | undefined {
  const ports: EventLogPort[] = [];
  for (const m of config.meters) {
    const b = acquisition.buses.get(m.bus);
    if (!b || b.config.type === 'dlt645' || m.profile !== 'prepaid' || m.unit === undefined) continue;
    const unit = m.unit;
    ports.push({ meter: m.id, bus: m.bus, walk: (last) => walkPrepaidEventLog(b.master, b.queue, unit, last) });
  }
  return ports.length ? new MeterEventWalker({ ...deps, ports }) : undefined;
}
