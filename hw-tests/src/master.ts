/**
 * The suite's Modbus master, one interface over three ways to reach a meter: an RS-485 adapter
 * (HW_SERIAL), the simulator's bus (frames in, frames out, with its wire-time model), or the
 * firmware in this process (HW_BOARD). Every reply is CRC-checked and matched to its request.
 */
import { SerialPort } from 'serialport';
import {
  bitsPerChar,
  decodeRtu,
  encodeRequest,
  encodeRtu,
  interFrameMs,
  parseResponse,
  RtuSplitter,
  type ModbusRequest,
  type ModbusResponse,
} from '@prepaid-edge/protocols';

export interface Transaction {
  /** undefined = no reply within the timeout. */
  response: ModbusResponse | undefined;
  /** Request sent to reply received, ms (the wire-time model's figure on the simulator). */
  ms: number;
}

export interface ModbusMaster {
  readonly label: string;
  transact(unit: number, req: ModbusRequest): Promise<Transaction>;
  /** A raw frame, for broadcast and bus-timing checks; resolves with the raw reply or undefined. */
  raw(frame: Buffer): Promise<{ bytes: Buffer | undefined; ms: number }>;
  close(): Promise<void>;
}

function match(unit: number, req: ModbusRequest, bytes: Buffer | undefined): ModbusResponse | undefined {
  if (!bytes) return undefined;
  const { unit: u, pdu } = decodeRtu(bytes);
  if (u !== unit) throw new Error(`reply from unit ${u}, asked unit ${unit}`);
  return parseResponse(pdu, req);
}

/** Frames handed to a function: the simulator's bus, or the firmware's PDU handler wrapped in RTU. */
export class FrameMaster implements ModbusMaster {
  constructor(
    readonly label: string,
    private readonly handle: (frame: Buffer) => { bytes: Buffer; delayMs: number } | undefined,
  ) {}
  async raw(frame: Buffer): Promise<{ bytes: Buffer | undefined; ms: number }> {
    const r = this.handle(frame);
    // like a real master, do not send again before the reply is on the wire (the line is busy)
    if (r && r.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
    return { bytes: r?.bytes, ms: r?.delayMs ?? 0 };
  }
  async transact(unit: number, req: ModbusRequest): Promise<Transaction> {
    const r = await this.raw(encodeRtu(unit, encodeRequest(req)));
    return { response: match(unit, req, r.bytes), ms: r.ms };
  }
  async close(): Promise<void> {}
}

/** A real RS-485 line through a serial adapter: one transaction at a time, replies cut by RtuSplitter. */
export class SerialMaster implements ModbusMaster {
  readonly label: string;
  private readonly splitter: RtuSplitter;
  private waiting: ((frame: Buffer | undefined) => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly port: SerialPort,
    readonly timeoutMs: number,
    baud: number,
    parity: 'none' | 'even' | 'odd',
  ) {
    this.label = `${port.path} ${baud} ${parity}`;
    this.splitter = new RtuSplitter({ direction: 'response', silenceMs: interFrameMs(baud, bitsPerChar(parity)) });
    port.pipe(this.splitter);
    this.splitter.on('data', (f: Buffer) => this.waiting?.(f));
  }

  static async open(path: string, baudRate: number, parity: 'none' | 'even' | 'odd', timeoutMs = 1000): Promise<SerialMaster> {
    const port = new SerialPort({ path, baudRate, parity, dataBits: 8, stopBits: 1, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new SerialMaster(port, timeoutMs, baudRate, parity);
  }

  raw(frame: Buffer): Promise<{ bytes: Buffer | undefined; ms: number }> {
    const next = this.chain.then(
      () =>
        new Promise<{ bytes: Buffer | undefined; ms: number }>((resolve) => {
          const t0 = performance.now();
          const timer = setTimeout(() => done(undefined), this.timeoutMs);
          const done = (bytes: Buffer | undefined) => {
            clearTimeout(timer);
            this.waiting = undefined;
            resolve({ bytes, ms: performance.now() - t0 });
          };
          this.waiting = done;
          this.port.write(frame);
        }),
    );
    this.chain = next;
    return next;
  }

  async transact(unit: number, req: ModbusRequest): Promise<Transaction> {
    const r = await this.raw(encodeRtu(unit, encodeRequest(req)));
    return { response: match(unit, req, r.bytes), ms: r.ms };
  }

  async close(): Promise<void> {
    this.port.unpipe(this.splitter);
    await new Promise((r) => this.port.close(r));
  }
}
