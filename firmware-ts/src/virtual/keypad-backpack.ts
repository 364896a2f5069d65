/**
 * A 4x4 keypad on an I2C "nano backpack" (johnny-five controller 4X4_I2C_NANO_BACKPACK): a read
 * returns 2 bytes, big-endian, with bit i set while key i of the layout is held.
 */
import type { I2cDevice } from './devices.js';

export const KEYPAD_4X4 = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'] as const;

export class KeypadBackpack implements I2cDevice {
  private held = 0;
  private readonly listeners: Array<() => void> = [];

  write(): void {}

  read(): number[] {
    return [this.held >> 8, this.held & 0xff];
  }

  subscribe(onChange: () => void): void {
    this.listeners.push(onChange);
  }

  reset(): void {
    this.listeners.length = 0;
  }

  private bit(key: string): number {
    const i = KEYPAD_4X4.indexOf(key as (typeof KEYPAD_4X4)[number]);
    if (i < 0) throw new RangeError(`no key "${key}" on the 4x4 keypad`);
    return 1 << i;
  }

  press(key: string): void {
    this.held |= this.bit(key);
    for (const l of this.listeners) l();
  }

  release(key: string): void {
    this.held &= ~this.bit(key);
    for (const l of this.listeners) l();
  }
}
