/**
 * The relay as hardware, seen from its contacts: NO closes while its coil pin is high, NC while it
 * is low, a latching relay closes on a pulse of its set coil and opens on its reset coil.
 */
import type { PinId, RelayPins } from '../hw/pin-map.js';

export class RelayContact {
  closed = false;
  /** Coil pulses a latching relay received (each costs coil energy; useful in tests). */
  pulses = 0;

  constructor(private readonly pins: RelayPins) {
    if (pins.type === 'NC') this.closed = true; // de-energised NC contact
  }

  get coilPins(): PinId[] {
    return this.pins.type === 'latching' ? [this.pins.setPin, this.pins.resetPin] : [this.pins.pin];
  }

  /** An output pin changed; returns true when the contact moved. */
  onOutput(pin: PinId, value: number, previous: number): boolean {
    const before = this.closed;
    const p = this.pins;
    if (p.type === 'NO' && pin === p.pin) this.closed = value !== 0;
    else if (p.type === 'NC' && pin === p.pin) this.closed = value === 0;
    else if (p.type === 'latching' && value !== 0 && previous === 0) {
      if (pin === p.setPin) {
        this.closed = true;
        this.pulses++;
      } else if (pin === p.resetPin) {
        this.closed = false;
        this.pulses++;
      }
    }
    return this.closed !== before;
  }

  /** Supply to the coils lost: NO/NC fall back to their rest position, a latching relay stays. */
  powerLost(): boolean {
    const before = this.closed;
    if (this.pins.type === 'NO') this.closed = false;
    if (this.pins.type === 'NC') this.closed = true;
    return this.closed !== before;
  }
}
