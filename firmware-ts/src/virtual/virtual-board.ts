/**
 * The virtual meter PCB: input levels, the relay, the LCD, the keypad and the metering module,
 * wired by the same pin map the real meter uses. Its IO plugin (virtual-io.ts) is what the
 * firmware runs on; this class is the test-side handle: pulse the S0 input, press buttons and
 * keys, open the cover, and read the relay contact, the LCD text, the buzzer and the LEDs.
 */
import { EventEmitter } from 'node:events';
import type { InputPin, PinId, PinMap } from '../hw/pin-map.js';
import type { PzemValues } from '../hw/pzem004t.js';
import type { I2cDevice, SerialDevice } from './devices.js';
import { Hd44780 } from './hd44780.js';
import { KeypadBackpack } from './keypad-backpack.js';
import { PzemEmulator } from './pzem-emulator.js';
import { RelayContact } from './relay-contact.js';
import { VirtualIO, type VirtualWiring } from './virtual-io.js';

export interface VirtualBoardOptions {
  pinMap: PinMap;
  /** What the metering module measures right now (undefined: it does not answer). */
  meter?: () => PzemValues | undefined;
}

const activeLevel = (p: InputPin, active: boolean): 0 | 1 => ((p.activeLow ? !active : active) ? 1 : 0);

export class VirtualBoard extends EventEmitter implements VirtualWiring {
  readonly pinMap: PinMap;
  readonly relay: RelayContact;
  readonly lcd: Hd44780 | undefined;
  readonly keypad: KeypadBackpack | undefined;
  readonly pzem: PzemEmulator | undefined;
  /** Rising edges seen on the buzzer pin. */
  beeps = 0;
  private io: VirtualIO | undefined;
  private readonly levels = new Map<PinId, 0 | 1>();
  private readonly outputs = new Map<PinId, number>();
  private readonly i2c = new Map<number, I2cDevice>();
  private readonly serial = new Map<string, SerialDevice>();
  private readonly i2cListeners = new Map<number, Array<() => void>>();

  constructor(opts: VirtualBoardOptions) {
    super();
    const pm = opts.pinMap;
    this.pinMap = pm;
    this.relay = new RelayContact(pm.relay);
    for (const p of [pm.s0, pm.button, pm.magnetic, pm.cover]) if (p) this.levels.set(p.pin, activeLevel(p, false));
    this.syncFeedback();
    if (pm.lcd) {
      this.lcd = new Hd44780(pm.lcd.rows, pm.lcd.cols);
      this.i2c.set(pm.lcd.address, this.lcd);
    }
    if (pm.keypad) {
      this.keypad = new KeypadBackpack();
      this.i2c.set(pm.keypad.address, this.keypad);
      this.keypad.subscribe(() => this.notifyI2c(pm.keypad!.address));
    }
    if (pm.meteringModule && opts.meter) {
      this.pzem = new PzemEmulator(opts.meter);
      this.serial.set(String(pm.meteringModule.portId), this.pzem);
      const port = pm.meteringModule.portId;
      this.pzem.onData((bytes) => this.io?.serialReceived(port, bytes));
    }
  }

  // ---- power ---------------------------------------------------------------------------------

  /** Power the MCU up: a fresh IO plugin for a fresh firmware boot. */
  powerOn(): VirtualIO {
    if (this.io) this.io.detached = true;
    this.i2cListeners.clear();
    this.io = new VirtualIO(this);
    return this.io;
  }

  /** Supply lost: the MCU stops, outputs fall to 0, displays go blank. */
  powerOff(): void {
    if (this.io) this.io.detached = true;
    this.io = undefined;
    for (const pin of [...this.outputs.keys()]) this.outputs.set(pin, 0);
    if (this.relay.powerLost()) this.relayMoved();
    this.lcd?.reset();
    this.pzem?.reset();
  }

  get powered(): boolean {
    return this.io !== undefined;
  }

  // ---- VirtualWiring (the IO plugin's side) --------------------------------------------------

  level(pin: PinId): 0 | 1 {
    return this.levels.get(pin) ?? 0;
  }

  output(pin: PinId, value: number): void {
    const previous = this.outputs.get(pin) ?? 0;
    this.outputs.set(pin, value);
    if (this.pinMap.buzzer && pin === this.pinMap.buzzer.pin && value && !previous) this.beeps++;
    if (this.relay.onOutput(pin, value, previous)) this.relayMoved();
  }

  i2cWrite(address: number, bytes: number[]): void {
    this.i2c.get(address)?.write(bytes);
  }

  i2cRead(address: number, register: number | undefined, count: number): number[] {
    const d = this.i2c.get(address);
    return d ? d.read(register, count).slice(0, count) : new Array<number>(count).fill(0xff);
  }

  i2cSubscribe(address: number, onChange: () => void): void {
    const list = this.i2cListeners.get(address) ?? [];
    list.push(onChange);
    this.i2cListeners.set(address, list);
  }

  serialWrite(portId: number | string, bytes: number[]): void {
    this.serial.get(String(portId))?.write(bytes);
  }

  private notifyI2c(address: number): void {
    for (const l of this.i2cListeners.get(address) ?? []) l();
  }

  private relayMoved(): void {
    this.syncFeedback();
    this.emit('relay', this.relay.closed);
  }

  private syncFeedback(): void {
    const fb = this.pinMap.relayFeedback;
    if (fb) this.setInput(fb.pin, activeLevel(fb, this.relay.closed));
  }

  // ---- the world side (tests, simulator) -----------------------------------------------------

  setInput(pin: PinId, level: 0 | 1): void {
    if (this.levels.get(pin) === level) return;
    this.levels.set(pin, level);
    this.io?.inputChanged(pin, level);
  }

  /** Drive the S0 output of the metering element (active = pulse on). */
  s0(active: boolean): void {
    this.setInput(this.pinMap.s0.pin, activeLevel(this.pinMap.s0, active));
  }

  setButton(down: boolean): void {
    const b = this.need(this.pinMap.button, 'button');
    this.setInput(b.pin, activeLevel(b, down));
  }

  setCover(open: boolean): void {
    const c = this.need(this.pinMap.cover, 'cover');
    this.setInput(c.pin, activeLevel(c, open));
  }

  setMagnet(present: boolean): void {
    const m = this.need(this.pinMap.magnetic, 'magnetic');
    this.setInput(m.pin, activeLevel(m, present));
  }

  pressKey(key: string): void {
    this.need(this.keypad, 'keypad').press(key);
  }

  releaseKey(key: string): void {
    this.need(this.keypad, 'keypad').release(key);
  }

  outputLevel(pin: PinId): number {
    return this.outputs.get(pin) ?? 0;
  }

  get relayClosed(): boolean {
    return this.relay.closed;
  }

  get buzzerOn(): boolean {
    return this.pinMap.buzzer ? this.outputLevel(this.pinMap.buzzer.pin) !== 0 : false;
  }

  led(name: 'lowCredit' | 'tamper' | 'comms'): boolean {
    const pin = this.pinMap.leds?.[name];
    return pin !== undefined && this.outputLevel(pin) !== 0;
  }

  /** The LCD's rows, trailing blanks kept. */
  lcdLines(): string[] {
    return this.need(this.lcd, 'lcd').lines();
  }

  private need<T>(v: T | undefined, what: string): T {
    if (v === undefined) throw new RangeError(`the pin map has no ${what}`);
    return v;
  }
}
