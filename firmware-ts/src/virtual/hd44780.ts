/**
 * An HD44780 character LCD behind a PCF8574 I2C backpack (the common "LCM1602 IIC" module), so
 * tests read the text johnny-five's LCD driver really wrote. Expander bits: P0 RS, P2 EN,
 * P3 backlight, P4-P7 = D4-D7; a nibble is latched on the falling edge of EN. Starts in 8-bit
 * mode until a function set with DL = 0 switches it to 4-bit transfers (high nibble first).
 */
import type { I2cDevice } from './devices.js';

const RS = 0x01;
const EN = 0x04;
const BACKLIGHT = 0x08;
const ROW_OFFSETS = [0x00, 0x40, 0x14, 0x54] as const;

export class Hd44780 implements I2cDevice {
  private last = 0;
  private fourBit = false;
  private high: number | undefined;
  private ddram = new Uint8Array(128).fill(0x20);
  private addr = 0;
  private cgram = false;
  displayOn = false;
  backlight = false;
  /** Characters written since power-up (for cost accounting). */
  writes = 0;

  constructor(
    readonly rows = 2,
    readonly cols = 16,
  ) {}

  write(bytes: readonly number[]): void {
    for (const b of bytes) {
      if (this.last & EN && !(b & EN)) this.latch((this.last >> 4) & 0x0f, (this.last & RS) !== 0);
      this.backlight = (b & BACKLIGHT) !== 0;
      this.last = b;
    }
  }

  read(): number[] {
    return [this.last];
  }

  reset(): void {
    this.last = 0;
    this.fourBit = false;
    this.high = undefined;
    this.ddram.fill(0x20);
    this.addr = 0;
    this.cgram = false;
    this.displayOn = false;
  }

  /** The text on each row, exactly `cols` characters. */
  lines(): string[] {
    return ROW_OFFSETS.slice(0, this.rows).map((off) => String.fromCharCode(...this.ddram.subarray(off, off + this.cols)));
  }

  private latch(nibble: number, rs: boolean): void {
    if (!this.fourBit) {
      if (!rs) this.command(nibble << 4);
      return;
    }
    if (this.high === undefined) {
      this.high = nibble;
      return;
    }
    const byte = (this.high << 4) | nibble;
    this.high = undefined;
    if (rs) this.data(byte);
    else this.command(byte);
  }

  private command(c: number): void {
    if (c & 0x80) {
      this.addr = c & 0x7f;
      this.cgram = false;
    } else if (c & 0x40) this.cgram = true;
    else if (c & 0x20) {
      if (!(c & 0x10)) this.fourBit = true;
    } else if (c & 0x10) {
      // cursor/display shift: not used by the firmware
    } else if (c & 0x08) this.displayOn = (c & 0x04) !== 0;
    else if (c & 0x04) {
      // entry mode: the firmware uses left-to-right increment only
    } else if (c & 0x02) this.addr = 0;
    else if (c === 0x01) {
      this.ddram.fill(0x20);
      this.addr = 0;
    }
  }

  private data(byte: number): void {
    if (this.cgram) return;
    this.ddram[this.addr] = byte;
    this.writes++;
    this.addr = this.addr === 0x27 ? 0x40 : this.addr === 0x67 ? 0x00 : (this.addr + 1) & 0x7f;
  }
}
