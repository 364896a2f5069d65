/** Pick and build a meter's relay driver from its config. */
import type { Board } from 'johnny-five';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { BusQueue } from '../acquisition/bus-queue.js';
import type { ModbusMaster } from '../acquisition/modbus-transport.js';
import type { MeterConfig } from '../../core/config/gateway-config.js';
import type { RelayDriver } from '../../core/credit/contracts.js';
import { Dlt645Relay, type Dlt645RelayPort } from './dlt645-relay.js';
import { J5Relay } from './j5-relay.js';
import { ModbusPrepaidRelay } from './modbus-prepaid-relay.js';
import type { RelayConfig } from '../../core/config/gateway-config.js';
import type { RelayDriverOptions } from './verified-set.js';

export interface RelayDeps extends RelayDriverOptions {
  /** The Modbus master and queue of a bus, if it is a Modbus (RTU/TCP) bus. */
  modbusBus?: (busId: string) => { master: ModbusMaster; queue: BusQueue } | undefined;
  /** The DL/T 645 master of a bus (it queues its own transactions), if it is a DL/T 645 bus. */
  dlt645Bus?: (busId: string) => Dlt645RelayPort | undefined;
  /** A ready johnny-five board by its config id. */
  board?: (id: string) => Board | undefined;
}

/** Modbus profiles whose meters have a relay this package drives. */
export const MODBUS_RELAY_PROFILES = ['prepaid'] as const;

/**
 * `relay` omitted or `{ type: 'meter' }`: the meter's own relay — DL/T 645 control 0x1C when the
 * meter is on a DL/T 645 bus, the prepaid map's coil for profile 'prepaid', else E_RELAY_UNSUPPORTED
 * (an SDM630 has no relay: give it `{ type: 'gpio', ... }`). Missing buses or boards are
 * E_CONFIG_INVALID naming the meter.
 */
export function relayDriverFor(meter: MeterConfig & { relay?: RelayConfig }, deps: RelayDeps): RelayDriver {
  const relay = meter.relay ?? { type: 'meter' };
  const ctx = { meter: meter.id };
  if (relay.type === 'gpio') {
    const board = deps.board?.(relay.board);
    if (!board) throw new PrepaidError('E_CONFIG_INVALID', `meter ${meter.id}: relay.board '${relay.board}' is not a board the gateway has`, { ...ctx, path: 'relay.board' });
    return new J5Relay(meter.id, board, { ...deps, ...relay });
  }
  const dlt = deps.dlt645Bus?.(meter.bus);
  if (dlt) {
    if (!meter.address) throw new PrepaidError('E_CONFIG_INVALID', `meter ${meter.id}: a DL/T 645 meter needs its 12-digit address`, { ...ctx, path: 'address' });
    return new Dlt645Relay(meter.id, meter.address, dlt, deps);
  }
  if (!(MODBUS_RELAY_PROFILES as readonly string[]).includes(meter.profile)) {
    throw new PrepaidError('E_RELAY_UNSUPPORTED', `meter ${meter.id}: profile ${meter.profile} has no relay the gateway can drive; configure relay: { type: gpio }`, { ...ctx, path: 'relay', profile: meter.profile });
  }
  const bus = deps.modbusBus?.(meter.bus);
  if (!bus) throw new PrepaidError('E_CONFIG_INVALID', `meter ${meter.id}: bus '${meter.bus}' is not an open Modbus bus`, { ...ctx, path: 'bus' });
  return new ModbusPrepaidRelay(meter.id, meter.unit, bus.master, bus.queue, deps);
}
