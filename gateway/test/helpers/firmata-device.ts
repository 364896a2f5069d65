/**
 * The board end of a Firmata link: an Arduino Uno running StandardFirmata 2.5, emulated on the
 * other end of a serial line (a socat pty), byte for byte as the host sees it. It announces its
 * version and firmware like a board that resets when the port opens (repeated until the host
 * speaks, since nobody can tell when the other pty end is opened), answers the capability and
 * analog-mapping queries, keeps pin modes, output levels and pull-ups, and reports input ports.
 */
import type { SerialPort } from 'serialport';

const START_SYSEX = 0xf0;
const END_SYSEX = 0xf7;
const REPORT_VERSION = 0xf9;
const SYSTEM_RESET = 0xff;
const PIN_MODE = 0xf4;
const SET_DIGITAL_PIN_VALUE = 0xf5;
const DIGITAL_MESSAGE = 0x90;
const ANALOG_MESSAGE = 0xe0;
const REPORT_ANALOG = 0xc0;
const REPORT_DIGITAL = 0xd0;
const QUERY_FIRMWARE = 0x79;
const CAPABILITY_QUERY = 0x6b;
const CAPABILITY_RESPONSE = 0x6c;
const ANALOG_MAPPING_QUERY = 0x69;
const ANALOG_MAPPING_RESPONSE = 0x6a;
const PIN_STATE_QUERY = 0x6d;
const PIN_STATE_RESPONSE = 0x6e;

export const MODE = { INPUT: 0x00, OUTPUT: 0x01, ANALOG: 0x02, PULLUP: 0x0b } as const;

const PINS = 20; // Uno: D0..D13, A0..A5 = 14..19
const FIRST_ANALOG = 14;

export class FirmataDevice {
  readonly modes = new Map<number, number>();
  readonly outputs = new Map<number, number>();
  /** What drives an input pin from outside (a contact, a button); absent = floating. */
  readonly driven = new Map<number, number>();
  /** Input pins whose pull-up the host enabled (a high write to an INPUT pin, Firmata's old convention). */
  readonly pullups = new Set<number>();
  /** Every output level the host wrote, in order. */
  readonly writes: Array<{ pin: number; level: number }> = [];
  /** Called on every output write: the wiring (e.g. a relay contact moving a feedback input). */
  onOutput: (pin: number, level: number) => void = () => {};
  private readonly reported = new Set<number>();
  private buf: number[] = [];
  private heard = false;
  private readonly announcer: NodeJS.Timeout;

  constructor(private readonly port: SerialPort) {
    port.on('data', (d: Buffer) => this.receive(d));
    this.announce();
    this.announcer = setInterval(() => (this.heard ? clearInterval(this.announcer) : this.announce()), 100);
  }

  stop(): void {
    clearInterval(this.announcer);
  }

  /** The level the pin reads: driven from outside, else the pull-up's 1, else 0. */
  level(pin: number): number {
    return this.driven.get(pin) ?? (this.modes.get(pin) === MODE.PULLUP || this.pullups.has(pin) ? 1 : 0);
  }

  /** Something outside drives an input pin (undefined: let it float). */
  drive(pin: number, level: number | undefined): void {
    if (level === undefined) this.driven.delete(pin);
    else this.driven.set(pin, level);
    if (this.reported.has(pin >> 3)) this.sendPort(pin >> 3);
  }

  private announce(): void {
    const name = [...Buffer.from('StandardFirmata.ino')].flatMap((b) => [b & 0x7f, b >> 7]);
    this.send([REPORT_VERSION, 2, 5, START_SYSEX, QUERY_FIRMWARE, 2, 5, ...name, END_SYSEX]);
  }

  private send(bytes: number[]): void {
    this.port.write(Buffer.from(bytes));
  }

  private sendPort(port: number): void {
    let value = 0;
    for (let i = 0; i < 8; i++) {
      const pin = port * 8 + i;
      const mode = this.modes.get(pin);
      if ((mode === MODE.INPUT || mode === MODE.PULLUP) && this.level(pin)) value |= 1 << i;
    }
    this.send([DIGITAL_MESSAGE | port, value & 0x7f, value >> 7]);
  }

  private output(pin: number, level: number): void {
    if (this.modes.get(pin) === MODE.INPUT) {
      if (level) this.pullups.add(pin);
      else this.pullups.delete(pin);
      return;
    }
    if (this.modes.get(pin) !== MODE.OUTPUT) return;
    if (this.outputs.get(pin) === level) return;
    this.outputs.set(pin, level);
    this.writes.push({ pin, level });
    this.onOutput(pin, level);
  }

  private receive(d: Buffer): void {
    this.heard = true;
    this.buf.push(...d);
    for (;;) {
      const used = this.parseOne();
      if (used === 0) return;
      this.buf.splice(0, used);
    }
  }

  /** Handles the first whole message in the buffer; returns its length, 0 if it is not complete. */
  private parseOne(): number {
    const b = this.buf;
    if (b.length === 0) return 0;
    const cmd = b[0]!;
    if (cmd === START_SYSEX) {
      const end = b.indexOf(END_SYSEX);
      if (end < 0) return 0;
      this.sysex(b.slice(1, end));
      return end + 1;
    }
    if (cmd === REPORT_VERSION) {
      this.send([REPORT_VERSION, 2, 5]);
      return 1;
    }
    if (cmd === SYSTEM_RESET) return 1;
    const high = cmd & 0xf0;
    const two = high === REPORT_ANALOG || high === REPORT_DIGITAL;
    const three = cmd === PIN_MODE || cmd === SET_DIGITAL_PIN_VALUE || high === DIGITAL_MESSAGE || high === ANALOG_MESSAGE;
    if (!two && !three) return 1; // not a command byte: skip it, as the firmware's parser does
    if (b.length < (two ? 2 : 3)) return 0;
    if (cmd === PIN_MODE) {
      this.modes.set(b[1]!, b[2]!);
      if (b[2] === MODE.OUTPUT && !this.outputs.has(b[1]!)) this.outputs.set(b[1]!, 0);
    } else if (cmd === SET_DIGITAL_PIN_VALUE) {
      this.output(b[1]!, b[2]! ? 1 : 0);
    } else if (high === DIGITAL_MESSAGE) {
      const port = cmd & 0x0f;
      const value = b[1]! | (b[2]! << 7);
      for (let i = 0; i < 8; i++) this.output(port * 8 + i, (value >> i) & 1);
    } else if (high === REPORT_DIGITAL) {
      const port = cmd & 0x0f;
      if (b[1]) {
        this.reported.add(port);
        this.sendPort(port);
      } else this.reported.delete(port);
    }
    return two ? 2 : 3;
  }

  private sysex(body: number[]): void {
    const [cmd, ...data] = body;
    if (cmd === QUERY_FIRMWARE) this.announce();
    else if (cmd === CAPABILITY_QUERY) {
      const out: number[] = [START_SYSEX, CAPABILITY_RESPONSE];
      for (let pin = 0; pin < PINS; pin++) {
        if (pin >= 2) out.push(MODE.INPUT, 1, MODE.OUTPUT, 1, MODE.PULLUP, 1);
        if (pin >= FIRST_ANALOG) out.push(MODE.ANALOG, 10);
        out.push(0x7f);
      }
      this.send([...out, END_SYSEX]);
    } else if (cmd === ANALOG_MAPPING_QUERY) {
      const map = Array.from({ length: PINS }, (_, pin) => (pin >= FIRST_ANALOG ? pin - FIRST_ANALOG : 0x7f));
      this.send([START_SYSEX, ANALOG_MAPPING_RESPONSE, ...map, END_SYSEX]);
    } else if (cmd === PIN_STATE_QUERY) {
      const pin = data[0]!;
      const mode = this.modes.get(pin) ?? MODE.OUTPUT;
      const state = mode === MODE.OUTPUT ? (this.outputs.get(pin) ?? 0) : mode === MODE.PULLUP ? 1 : 0;
      this.send([START_SYSEX, PIN_STATE_RESPONSE, pin, mode, state, END_SYSEX]);
    }
    // SAMPLING_INTERVAL and the rest: accepted, nothing to answer
  }
}
