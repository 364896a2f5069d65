/**
 * The meter's hardware through johnny-five, built from the pin map: inputs become calls on a
 * sink (the firmware), outputs are set from the firmware's state. Works on any IO plugin:
 * the virtual board, raspi-io, Firmata.
 */
import five, { type Board, type Led, type LCD, type Pin } from 'johnny-five';
import type { PrepaidError } from '@prepaid-edge/protocols';
import type { Clock } from '@prepaid-edge/protocols';
import type { ModuleReading } from '../core/meter-core.js';
import { DebouncedInput } from './debounced-input.js';
import type { PinId, PinMap } from './pin-map.js';
import { PzemDriver } from './pzem-driver.js';
import { createRelayDriver, type RelayDriver } from './relay-driver.js';

export interface HardwareSink {
  pulse(): void;
  button(): void;
  key(key: string): void;
  cover(open: boolean): void;
  magnet(present: boolean): void;
  relayFeedback(closed: boolean): void;
  module(r: ModuleReading): void;
  moduleError(e: PrepaidError): void;
}

export interface HardwareOptions {
  board: Board;
  pins: PinMap;
  clock: Clock;
  s0DebounceMs: number;
  modulePollMs: number;
  sink: HardwareSink;
}

export type LedName = 'lowCredit' | 'tamper' | 'comms';

/** Lockout for the tamper switches (the first edge latches tamper anyway). */
const SWITCH_LOCKOUT_MS = 20;

export class J5Hardware {
  readonly s0: DebouncedInput;
  private readonly inputs: DebouncedInput[] = [];
  private readonly relay: RelayDriver;
  private readonly lcd: LCD | undefined;
  private readonly lcdShown: string[] = [];
  private readonly buzzer: Pin | undefined;
  private buzzerState: boolean | undefined;
  private readonly leds = new Map<LedName, { led: Led; on: boolean | undefined }>();
  private readonly pzem: PzemDriver | undefined;
  private readonly de: Pin | undefined;
  private readonly emitters: Array<{ removeAllListeners(): void }> = [];

  constructor(private readonly opts: HardwareOptions) {
    const { board, pins, clock, sink } = opts;
    const io = board.io;
    this.relay = createRelayDriver(board, pins.relay);
    if (pins.lcd) this.lcd = new five.LCD({ board, controller: pins.lcd.controller, address: pins.lcd.address, rows: pins.lcd.rows, cols: pins.lcd.cols });
    if (pins.buzzer) {
      this.buzzer = new five.Pin({ board, pin: pins.buzzer.pin, mode: io.MODES.OUTPUT });
    }
    for (const name of ['lowCredit', 'tamper', 'comms'] as const) {
      const pin = pins.leds?.[name];
      if (pin !== undefined) this.leds.set(name, { led: new five.Led({ board, pin }), on: undefined });
    }
    if (pins.rs485?.dePin !== undefined) {
      this.de = new five.Pin({ board, pin: pins.rs485.dePin, mode: io.MODES.OUTPUT });
      this.de.low();
    }
    if (pins.keypad) {
      const keypad = new five.Keypad({ board, controller: pins.keypad.controller, address: pins.keypad.address });
      keypad.on('press', (e: { which: Array<string | number> }) => {
        for (const k of e.which) sink.key(String(k));
      });
      this.emitters.push(keypad);
    }
    if (pins.button) {
      const b = pins.button;
      const button = new five.Button({ board, pin: b.pin, isPullup: b.activeLow && b.pullup, invert: b.activeLow });
      button.on('press', () => sink.button());
      this.emitters.push(button);
    }
    if (pins.meteringModule) this.pzem = new PzemDriver(io, pins.meteringModule, opts.modulePollMs, (r) => sink.module(r), (e) => sink.moduleError(e));
    // Inputs last: the IO plugin reports their present level at once, and the sink may react.
    this.s0 = new DebouncedInput(io, pins.s0, opts.s0DebounceMs, clock, (active) => active && sink.pulse());
    this.inputs.push(this.s0);
    if (pins.cover) this.inputs.push(new DebouncedInput(io, pins.cover, SWITCH_LOCKOUT_MS, clock, (open) => sink.cover(open)));
    if (pins.magnetic) this.inputs.push(new DebouncedInput(io, pins.magnetic, SWITCH_LOCKOUT_MS, clock, (on) => sink.magnet(on)));
    // The readback follows the auxiliary contact's last level: bounce settles by itself, and a
    // lockout would show the old position to a master that reads right after switching.
    if (pins.relayFeedback) this.inputs.push(new DebouncedInput(io, pins.relayFeedback, 0, clock, (closed) => sink.relayFeedback(closed)));
  }

  get hasRelayFeedback(): boolean {
    return this.opts.pins.relayFeedback !== undefined;
  }

  setRelay(closed: boolean, now: number): void {
    this.relay.drive(closed, now);
  }

  /** Writes only the characters that changed (an I2C LCD takes ~4 bus writes per character). */
  showLines(lines: readonly string[]): void {
    if (!this.lcd) return;
    lines.forEach((text, row) => {
      const old = this.lcdShown[row] ?? '';
      if (old === text) return;
      let from = 0;
      while (from < text.length && text[from] === old[from]) from++;
      let to = text.length;
      while (to > from && text[to - 1] === old[to - 1] && old.length === text.length) to--;
      this.lcd!.cursor(row, from).print(text.slice(from, to));
      this.lcdShown[row] = text;
    });
  }

  setBuzzer(on: boolean): void {
    if (!this.buzzer || this.buzzerState === on) return;
    this.buzzerState = on;
    if (on) this.buzzer.high();
    else this.buzzer.low();
  }

  setLed(name: LedName, on: boolean): void {
    const l = this.leds.get(name);
    if (!l || l.on === on) return;
    l.on = on;
    if (on) l.led.on();
    else l.led.off();
  }

  /** RS-485 driver enable around a transmission (no-op without a DE pin). */
  transmit(active: boolean): void {
    if (!this.de) return;
    if (active) this.de.high();
    else this.de.low();
  }

  tick(now: number): void {
    for (const i of this.inputs) i.settle(now);
    this.relay.tick(now);
    this.pzem?.poll(now);
  }

  close(): void {
    for (const e of this.emitters) e.removeAllListeners();
  }
}

export type { PinId };
