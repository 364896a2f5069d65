/** The part of johnny-five 2.1 the test jig uses (the package ships no types). */
declare module 'johnny-five' {
  import { EventEmitter } from 'node:events';
  export class Board extends EventEmitter {
    /** Always an IO plugin (openFirmata for a Firmata jig): `port: PATH` would load johnny-five's own serialport 8. */
    constructor(opts: { io?: unknown; repl?: boolean; debug?: boolean; sigint?: boolean });
    readonly isReady: boolean;
    readonly io: { MODES: { INPUT: number; OUTPUT: number }; digitalRead(pin: number | string, cb: (v: number) => void): void };
  }
  export class Pin extends EventEmitter {
    constructor(opts: { board: Board; pin: number | string; mode?: number });
    high(): this;
    low(): this;
  }
  const five: { Board: typeof Board; Pin: typeof Pin };
  export default five;
}
