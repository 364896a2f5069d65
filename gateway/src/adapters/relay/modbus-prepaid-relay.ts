/**
 * The `prepaid` meter's own relay over Modbus (map in protocols/src/registers/docs-registers.md):
 * trip = coil 1 := 0; connect = reconnectMode (holding 15) := 0, then coil 1 := 1; arm =
 * reconnectMode := 1, then coil 1 := 1. Readback: relayState (input 21) and the contact (coil 0).
 * Every transaction goes through the bus queue at priority 'high', one at a time.
 */
import { encodeRegisterValue, PrepaidError } from '@prepaid-edge/protocols';
import type { BusQueue } from '../acquisition/bus-queue.js';
import type { ModbusMaster } from '../acquisition/modbus-transport.js';
import type { RelayDriver, RelayStatus, SupplyState } from '../../core/credit/contracts.js';
import { PREPAID, RELAY_STATE_NAMES } from './prepaid-registers.js';
import { OneAtATime, verifiedSet, type RelayDriverOptions } from './verified-set.js';

/**
 * The supply state from the two readbacks. The contact is the truth about supply: a closed contact
 * is 'connected' whatever relayState says (a welded relay must not pass for a trip); an open one is
 * 'ready-for-reconnection' when the meter is armed, else 'disconnected'.
 */
export function prepaidSupplyState(relayState: number, contactClosed: boolean): SupplyState {
  if (contactClosed) return 'connected';
  return relayState === 2 ? 'ready-for-reconnection' : 'disconnected';
}

export class ModbusPrepaidRelay implements RelayDriver {
  private readonly serial = new OneAtATime();

  constructor(
    readonly meter: string,
    private readonly unit: number,
    private readonly master: ModbusMaster,
    private readonly queue: BusQueue,
    private readonly opts: RelayDriverOptions = {},
  ) {}

  private tx<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn, 'high');
  }

  async read(): Promise<RelayStatus> {
    const [status = 0, relayState = -1] = await this.tx(() => this.master.read(this.unit, 'input', PREPAID.status, 2));
    const [closed = 0, command = 0] = await this.tx(() => this.master.read(this.unit, 'coil', PREPAID.relayClosedCoil, 2));
    if (relayState < 0 || relayState > 2) {
      throw new PrepaidError('E_READ_IMPLAUSIBLE', `relayState ${relayState} is not 0, 1 or 2`, { meter: this.meter, unit: this.unit, register: 'relayState' });
    }
    const state = prepaidSupplyState(relayState, closed === 1);
    return {
      state,
      raw: {
        relayState,
        relayStateName: RELAY_STATE_NAMES[relayState],
        relayClosed: closed,
        relayCommand: command,
        status,
        // relayState and the contact disagree (e.g. connected but the contact open): a relay fault
        consistent: (relayState === 1) === (closed === 1),
      },
    };
  }

  set(target: SupplyState, cause: string): Promise<RelayStatus> {
    return this.serial.run(() => verifiedSet({ meter: this.meter, target, cause, read: () => this.read(), command: (t) => this.command(t) }, this.opts));
  }

  private async command(target: SupplyState): Promise<void> {
    if (target !== 'disconnected') {
      const words = encodeRegisterValue(PREPAID.reconnectMode, target === 'connected' ? 0 : 1);
      await this.tx(() => this.master.writeRegisters(this.unit, PREPAID.reconnectMode.address, words));
    }
    await this.tx(() => this.master.writeCoil(this.unit, PREPAID.relayCommandCoil, target !== 'disconnected'));
  }
}
