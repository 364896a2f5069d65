/**
 * Relay output through johnny-five: a normally-open or normally-closed relay on one pin
 * (five.Relay), or a latching relay with set and reset coils pulsed for `pulseMs` (two five.Pins).
 * drive() is idempotent; a latching relay is always pulsed on the first drive after power-up,
 * because its contact position is unknown then.
 */
import five, { type Board, type Pin, type Relay } from 'johnny-five';
import type { RelayPins } from './pin-map.js';

export interface RelayDriver {
  drive(closed: boolean, now: number): void;
  /** Ends coil pulses whose time is up. */
  tick(now: number): void;
}

class SimpleRelay implements RelayDriver {
  private readonly relay: Relay;
  private driven: boolean | undefined;
  constructor(board: Board, pins: { type: 'NO' | 'NC'; pin: number | string }) {
    this.relay = new five.Relay({ board, pin: pins.pin, type: pins.type });
    board.io.pinMode(this.relay.pin, board.io.MODES.OUTPUT); // five.Relay leaves the mode to the plugin's default
  }
  drive(closed: boolean): void {
    if (this.driven === closed) return;
    this.driven = closed;
    if (closed) this.relay.close();
    else this.relay.open();
  }
  tick(): void {}
}

class LatchingRelay implements RelayDriver {
  private readonly set: Pin;
  private readonly reset: Pin;
  private driven: boolean | undefined;
  private releaseAt: number | undefined;
  constructor(
    board: Board,
    pins: { setPin: number | string; resetPin: number | string },
    private readonly pulseMs: number,
  ) {
    this.set = new five.Pin({ board, pin: pins.setPin, mode: board.io.MODES.OUTPUT });
    this.reset = new five.Pin({ board, pin: pins.resetPin, mode: board.io.MODES.OUTPUT });
    this.set.low();
    this.reset.low();
  }
  drive(closed: boolean, now: number): void {
    if (this.driven === closed) return;
    this.driven = closed;
    (closed ? this.reset : this.set).low();
    (closed ? this.set : this.reset).high();
    this.releaseAt = now + this.pulseMs;
  }
  tick(now: number): void {
    if (this.releaseAt === undefined || now < this.releaseAt) return;
    this.releaseAt = undefined;
    this.set.low();
    this.reset.low();
  }
}

export function createRelayDriver(board: Board, pins: RelayPins): RelayDriver {
  return pins.type === 'latching' ? new LatchingRelay(board, pins, pins.pulseMs ?? 100) : new SimpleRelay(board, pins);
}
