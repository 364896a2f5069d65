/**
 * A johnny-five IO plugin that lives in memory: the MCU side of the virtual board. johnny-five
 * drives it exactly like raspi-io or Firmata (pinMode, digitalWrite/Read, I2C, serial), and the
 * board it is plugged into (virtual-board.ts) is the world side that tests and the simulator drive.
 * Callbacks are delivered synchronously, so a test that sets an input sees the effect at once.
 */
import { EventEmitter } from 'node:events';
import type { PinId } from '../hw/pin-map.js';

const MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 } as const;
const PIN_COUNT = 32;

/** What the IO plugin needs from the board it is plugged into. */
export interface VirtualWiring {
  level(pin: PinId): 0 | 1;
  output(pin: PinId, value: number): void;
  i2cWrite(address: number, bytes: number[]): void;
  i2cRead(address: number, register: number | undefined, count: number): number[];
  i2cSubscribe(address: number, onChange: () => void): void;
  serialWrite(portId: number | string, bytes: number[]): void;
}

interface PinInfo {
  supportedModes: number[];
  mode: number;
  value: number;
  report: number;
  analogChannel: number;
}

export class VirtualIO extends EventEmitter {
  readonly name = 'VirtualBoard';
  readonly isReady = true;
  readonly MODES = MODES;
  readonly HIGH = 1;
  readonly LOW = 0;
  readonly defaultLed = 13;
  readonly RESOLUTION = { ADC: 1023, DAC: null, PWM: 255 };
  readonly SERIAL_PORT_IDs = { HW_SERIAL0: 0, HW_SERIAL1: 1, HW_SERIAL2: 2, HW_SERIAL3: 3, SW_SERIAL0: 8, SW_SERIAL1: 9, DEFAULT: 8 };
  readonly pins: PinInfo[] = Array.from({ length: PIN_COUNT }, () => ({ supportedModes: [0, 1, 3, 4], mode: 0, value: 0, report: 0, analogChannel: 127 }));
  readonly analogPins: number[] = [];
  /** Set when the board lost power or booted again: a dead MCU neither reads nor writes. */
  detached = false;
  private readonly digitalReaders = new Map<PinId, Array<(v: number) => void>>();
  private readonly serialReaders = new Map<string, Array<(bytes: number[]) => void>>();
  private readonly modes = new Map<PinId, number>();

  constructor(private readonly wiring: VirtualWiring) {
    super();
  }

  normalize(pin: PinId): PinId {
    return typeof pin === 'string' && /^\d+$/.test(pin) ? Number(pin) : pin;
  }

  pinMode(pin: PinId, mode: number): this {
    this.modes.set(this.normalize(pin), mode);
    const info = typeof pin === 'number' ? this.pins[pin] : undefined;
    if (info) info.mode = mode;
    return this;
  }

  digitalWrite(pin: PinId, value: number): this {
    if (this.detached) return this;
    const p = this.normalize(pin);
    // A write to an input pin switches its pull-up (the Firmata convention johnny-five uses).
    if ((this.modes.get(p) ?? MODES.OUTPUT) === MODES.INPUT) return this;
    const info = typeof p === 'number' ? this.pins[p] : undefined;
    if (info) info.value = value ? 1 : 0;
    this.wiring.output(p, value ? 1 : 0);
    return this;
  }

  digitalRead(pin: PinId, cb: (value: number) => void): this {
    const p = this.normalize(pin);
    const list = this.digitalReaders.get(p) ?? [];
    list.push(cb);
    this.digitalReaders.set(p, list);
    cb(this.wiring.level(p)); // reporting starts with the present level, as Firmata does
    return this;
  }

  /** The board calls this when an input level changed. */
  inputChanged(pin: PinId, level: 0 | 1): void {
    if (this.detached) return;
    for (const cb of this.digitalReaders.get(pin) ?? []) cb(level);
  }

  analogRead(): this {
    return this;
  }
  /** PWM output (johnny-five's Led uses it on PWM-capable pins): the board sees the duty value. */
  analogWrite(pin: PinId, value: number): this {
    if (this.detached) return this;
    this.wiring.output(this.normalize(pin), Math.max(0, Math.round(value)));
    return this;
  }
  pwmWrite(pin: PinId, value: number): this {
    return this.analogWrite(pin, value);
  }
  servoWrite(): this {
    return this;
  }
  queryPinState(_pin: PinId, cb: () => void): this {
    cb();
    return this;
  }
  setSamplingInterval(): this {
    return this;
  }

  i2cConfig(): this {
    return this;
  }

  /** Firmata's argument forms: (addr, bytes), (addr, byte), (addr, register, bytes), (addr, register, byte). */
  i2cWrite(address: number, registerOrData: number | number[], inBytes?: number | number[]): this {
    if (this.detached) return this;
    let bytes: number[];
    if (inBytes === undefined) bytes = Array.isArray(registerOrData) ? [...registerOrData] : [registerOrData];
    else bytes = [registerOrData as number, ...(Array.isArray(inBytes) ? inBytes : [inBytes])];
    this.wiring.i2cWrite(address, bytes);
    return this;
  }

  i2cWriteReg(address: number, register: number, byte: number): this {
    return this.i2cWrite(address, register, [byte]);
  }

  i2cRead(address: number, ...args: unknown[]): this {
    const { register, count, cb } = readArgs(args);
    const deliver = () => {
      if (!this.detached) cb(this.wiring.i2cRead(address, register, count));
    };
    this.wiring.i2cSubscribe(address, deliver);
    deliver();
    return this;
  }

  i2cReadOnce(address: number, ...args: unknown[]): this {
    const { register, count, cb } = readArgs(args);
    if (!this.detached) cb(this.wiring.i2cRead(address, register, count));
    return this;
  }

  serialConfig(): this {
    return this;
  }

  serialWrite(portId: number | string, bytes: number[]): this {
    if (!this.detached) this.wiring.serialWrite(portId, [...bytes]);
    return this;
  }

  /** (portId, cb) or (portId, maxBytes, cb). */
  serialRead(portId: number | string, a: unknown, b?: unknown): this {
    const cb = (typeof a === 'function' ? a : b) as (bytes: number[]) => void;
    const key = String(portId);
    const list = this.serialReaders.get(key) ?? [];
    list.push(cb);
    this.serialReaders.set(key, list);
    return this;
  }

  /** The board calls this when a serial device sent bytes. */
  serialReceived(portId: number | string, bytes: number[]): void {
    if (this.detached) return;
    for (const cb of this.serialReaders.get(String(portId)) ?? []) cb(bytes);
  }

  serialStop(portId: number | string): this {
    this.serialReaders.delete(String(portId));
    return this;
  }
  serialClose(portId: number | string): this {
    return this.serialStop(portId);
  }
  serialFlush(): this {
    return this;
  }
  serialListen(): this {
    return this;
  }
}

function readArgs(args: unknown[]): { register: number | undefined; count: number; cb: (bytes: number[]) => void } {
  if (args.length === 2) return { register: undefined, count: args[0] as number, cb: args[1] as (b: number[]) => void };
  return { register: args[0] as number, count: args[1] as number, cb: args[2] as (b: number[]) => void };
}
