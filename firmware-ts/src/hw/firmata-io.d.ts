/** The part of firmata-io 2.3 firmata-board.ts uses (the package ships no types). */
declare module 'firmata-io' {
  import { EventEmitter } from 'node:events';

  /** What Firmata writes to and reads `data` events from: our SerialPort. */
  export interface FirmataTransport extends EventEmitter {
    write(data: Buffer, cb?: (err?: Error | null) => void): unknown;
  }

  export class Firmata extends EventEmitter {
    constructor(transport: FirmataTransport, options?: { reportVersionTimeout?: number; samplingInterval?: number });
    readonly isReady: boolean;
    readonly name: string;
    readonly transport: FirmataTransport;
  }

  /** Binds a default transport class; we never use that route, only `.Firmata` with our own port. */
  const bindTransport: ((transport: unknown) => typeof Firmata) & { Firmata: typeof Firmata };
  export default bindTransport;
}
