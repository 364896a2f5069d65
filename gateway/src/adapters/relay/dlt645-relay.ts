/**
 * A DL/T 645-2007 meter's relay through control code 0x1C: disconnected -> trip (N1 0x1A),
 * connected -> close directly (0x1C), ready-for-reconnection -> close allowed (0x1B: the customer
 * closes). Readback is the relay bit of run status word 3, which knows only open and closed.
 *
 * Close-allowed cannot be told from trip by readback: an armed meter reads 'open' until the
 * customer presses its button, and meters that do not support arming close at once ('closed').
 * So an arm is verified by the meter's normal reply only, and afterwards an open relay reads as
 * 'ready-for-reconnection' (raw.inferred = true: remembered by this driver, lost on restart, where
 * it reads 'disconnected' again). A closed relay satisfies an arm (see `satisfies`).
 */
import type { Dlt645RelayOp, Dlt645RelayOptions } from '../acquisition/dlt645-master.js';
import type { RelayDriver, RelayStatus, SupplyState } from '../../core/credit/contracts.js';
import { OneAtATime, verifiedSet, type RelayDriverOptions } from './verified-set.js';

/**
 * What the driver needs from a DL/T 645 master (Dlt645Master in gateway/src/adapters/acquisition/dlt645-master.ts
 * fits, and queues both calls on its bus at priority 'high' itself).
 */
export interface Dlt645RelayPort {
  /** Resolves on the meter's normal reply; an abnormal reply rejects with E_DLT645_ERROR. */
  relayControl(address: string, op: Dlt645RelayOp, opts?: Dlt645RelayOptions): Promise<unknown>;
  readRelayState(address: string): Promise<'open' | 'closed'>;
}

export const DLT645_OP_FOR: Readonly<Record<SupplyState, Dlt645RelayOp>> = {
  disconnected: 'trip',
  connected: 'close-directly',
  'ready-for-reconnection': 'close-allowed',
};

export interface Dlt645RelayDriverOptions extends RelayDriverOptions {
  /** Password, operator code and level sent with every 0x1C command (the master's defaults otherwise). */
  credentials?: Dlt645RelayOptions;
}

export class Dlt645Relay implements RelayDriver {
  private armed = false;
  private readonly serial = new OneAtATime();

  constructor(
    readonly meter: string,
    /** 12-digit meter address. */
    private readonly address: string,
    private readonly port: Dlt645RelayPort,
    private readonly opts: Dlt645RelayDriverOptions = {},
  ) {}

  async read(): Promise<RelayStatus> {
    const relay = await this.port.readRelayState(this.address);
    if (relay === 'closed') return { state: 'connected', raw: { relay, address: this.address } };
    return this.armed
      ? { state: 'ready-for-reconnection', raw: { relay, address: this.address, inferred: true } }
      : { state: 'disconnected', raw: { relay, address: this.address } };
  }

  set(target: SupplyState, cause: string): Promise<RelayStatus> {
    return this.serial.run(() => verifiedSet({ meter: this.meter, target, cause, read: () => this.read(), command: (t) => this.command(t) }, this.opts));
  }

  private async command(target: SupplyState): Promise<void> {
    const op = DLT645_OP_FOR[target];
    this.armed = false;
    await this.port.relayControl(this.address, op, this.opts.credentials);
    this.armed = op === 'close-allowed';
  }
}
