/**
 * The part of johnny-five 2.1 prepaid-edge uses (the package ships no types): the one declaration,
 * for the firmware, the gateway's relay boards and the hw-tests jig. Other packages take it with
 * `/// <reference types="@prepaid-edge/firmware/johnny-five" />`.
 */
declare module 'johnny-five' {
  import { EventEmitter } from 'node:events';

  type PinId = number | string;

  export interface BoardOptions {
    /** Always an IO plugin (openFirmata over our serialport 13, or the virtual board); johnny-five's `port: PATH` route is not declared because it would load a serialport of its own. */
    io?: unknown;
    repl?: boolean;
    debug?: boolean;
    sigint?: boolean;
    timeout?: number;
    id?: string;
  }

  export class Board extends EventEmitter {
    constructor(opts?: BoardOptions);
    readonly io: IoPluginLike;
    readonly isReady: boolean;
    readonly id: string;
    static readonly cache: Board[];
  }

  /** The IO plugin interface as johnny-five calls it. */
  export interface IoPluginLike extends EventEmitter {
    readonly MODES: { INPUT: number; OUTPUT: number; ANALOG: number; PWM: number; SERVO: number };
    readonly HIGH: number;
    readonly LOW: number;
    isReady: boolean;
    name?: string;
    normalize?(pin: PinId): PinId;
    pinMode(pin: PinId, mode: number): void;
    digitalWrite(pin: PinId, value: number): void;
    digitalRead(pin: PinId, cb: (value: number) => void): void;
    serialConfig?(opts: { portId: number | string; baud: number; rxPin?: PinId; txPin?: PinId }): void;
    serialWrite?(portId: number | string, bytes: number[]): void;
    serialRead?(portId: number | string, cb: (bytes: number[]) => void): void;
    serialStop?(portId: number | string): void;
    serialClose?(portId: number | string): void;
  }

  interface OnBoard {
    board: Board;
  }

  export class Relay {
    constructor(opts: OnBoard & { pin: PinId; type?: 'NO' | 'NC' });
    readonly pin: PinId;
    readonly isClosed: boolean;
    open(): this;
    close(): this;
  }

  export class Pin extends EventEmitter {
    constructor(opts: OnBoard & { pin: PinId; mode?: number; type?: 'digital' | 'analog' });
    high(): this;
    low(): this;
  }

  export class Led {
    constructor(opts: OnBoard & { pin: PinId });
    on(): this;
    off(): this;
  }

  export class Button extends EventEmitter {
    constructor(opts: OnBoard & { pin: PinId; isPullup?: boolean; invert?: boolean; holdtime?: number });
  }

  export class Keypad extends EventEmitter {
    constructor(opts: OnBoard & { controller: string; address?: number; pin?: PinId; keys?: Array<string | number> });
  }

  export class LCD {
    constructor(opts: OnBoard & { controller?: string; address?: number; rows?: number; cols?: number; pins?: PinId[] });
    print(text: string): this;
    cursor(row: number, col: number): this;
    clear(): this;
  }

  const five: {
    Board: typeof Board;
    Relay: typeof Relay;
    Pin: typeof Pin;
    Led: typeof Led;
    Button: typeof Button;
    Keypad: typeof Keypad;
    LCD: typeof LCD;
  };
  export default five;
}
