/** The part of johnny-five 2.1 the relay driver uses (the package ships no types). */
declare module 'johnny-five' {
  import { EventEmitter } from 'node:events';

  type PinId = number | string;

  export interface BoardOptions {
    /** Always an IO plugin: the `port: PATH` route would load johnny-five's own serialport 8. */
    io?: unknown;
    repl?: boolean;
    debug?: boolean;
    sigint?: boolean;
    timeout?: number;
    id?: string;
  }

  export interface IoPluginLike extends EventEmitter {
    readonly MODES: { INPUT: number; OUTPUT: number; ANALOG: number; PWM: number; SERVO: number };
    readonly HIGH: number;
    readonly LOW: number;
    isReady: boolean;
    pinMode(pin: PinId, mode: number): void;
    digitalWrite(pin: PinId, value: number): void;
    digitalRead(pin: PinId, cb: (value: number) => void): void;
  }

  export class Board extends EventEmitter {
    constructor(opts?: BoardOptions);
    readonly io: IoPluginLike;
    readonly isReady: boolean;
    readonly id: string;
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

  export class Button extends EventEmitter {
    constructor(opts: OnBoard & { pin: PinId; isPullup?: boolean; invert?: boolean; holdtime?: number });
  }

  const five: { Board: typeof Board; Relay: typeof Relay; Button: typeof Button };
  export default five;
}
