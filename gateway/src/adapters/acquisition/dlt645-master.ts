/**
 * A DL/T 645-2007 master on one serial line. One request at a time (through the bus queue): write
 * the request, cut the answer out of the byte stream with the protocols splitter (0xFE preambles
 * and noise skipped), and turn silence, damaged frames and refusals into stable error codes:
 *   E_DLT645_TIMEOUT  no matching reply within bus.timeoutMs
 *   E_FRAME_CHECKSUM  a reply arrived damaged (bad checksum, truncated, garbled); worth a retry
 *   E_DLT645_ERROR    the meter sent an abnormal reply (Dlt645AbnormalError, errorByte in context)
 *   E_BUS_UNAVAILABLE the serial device cannot be opened or went away (reopened on the next call)
 * The line opens lazily and reopens after it failed.
 */
import { SerialPort } from 'serialport';
import {
  encodeTimeSync,
  DLT645_FUNCTION,
  Dlt645AbnormalError,
  Dlt645Splitter,
  dlt645AddressMatches,
  dlt645DateTimeFromDate,
  dlt645DiFromBytes,
  dlt645ReadingFromReply,
  encodeReadDataRequest,
  encodeRelayControlRequest,
  expectNormalReply,
  isPrepaidError,
  normalizeDlt645Address,
  normalizeDlt645Di,
  parseReadDataReply,
  parseRelayControlReply,
  PrepaidError,
  systemClock,
  type Clock,
  type Dlt645Abnormal,
  type Dlt645Frame,
  type Dlt645ReadReply,
  type Dlt645Reading,
  type Dlt645RelayCommand,
  type TimerHandle,
} from '@prepaid-edge/protocols';
import type { Dlt645BusConfig } from '../../core/config/gateway-config.js';
import type { Logger } from '../log.js';
import { BusQueue, type Transact } from './bus-queue.js';

/** Run status word 3 (DL/T 645-2007 A.5, format XXXX, low byte first). */
export const DLT645_STATUS_WORD_3_DI = '04000503';
/** Bit 4 of status word 3: the load relay is open (0 = closed). */
export const DLT645_STATUS3_RELAY_OPEN = 0x0010;

export type Dlt645RelayOp = 'trip' | 'close-allowed' | 'close-directly';

const RELAY_COMMANDS: Record<Dlt645RelayOp, Dlt645RelayCommand> = {
  trip: 'trip',
  'close-allowed': 'closeAllowed',
  'close-directly': 'closeDirect',
};

export interface Dlt645RelayOptions {
  /** Password P2P1P0, 6 hex digits (default "000000"). */
  password?: string;
  /** Operator code C3..C0, 8 hex digits, recorded by the meter (default "00000000"). */
  operator?: string;
  /** Password level PA (default 2). */
  level?: number;
}

export type Dlt645LineConfig = Pick<Dlt645BusConfig, 'id' | 'path' | 'baudRate' | 'parity' | 'stopBits' | 'timeoutMs' | 'interFrameDelayMs'>;

export interface Dlt645MasterOptions {
  /** The bus's transaction queue (default: a queue of its own). */
  queue?: BusQueue;
  /** Wall time for relay command expiry times, and the reply timeout (default: the system clock). */
  clock?: Clock;
  /** UTC offset of the meters' clocks, minutes (default 480: China Standard Time). */
  utcOffsetMinutes?: number;
  /** A relay command is valid at the meter for this long after it is sent (default 10 min). */
  relayExpiryMs?: number;
  /** 0xFE wake-up bytes before each request (default 4). */
  preamble?: number;
  log?: Logger;
}

export interface Dlt645MasterStats {
  transactions: number;
  timeouts: number;
  /** Replies lost to damage (checksum, truncation, garbage). */
  damaged: number;
  abnormal: number;
  /** Times the serial device was opened. */
  opens: number;
}

export interface Dlt645CallOptions {
  /** Queue priority (default 'low' for reads, 'high' for relay commands and relay readback). */
  priority?: 'high' | 'low';
  /** Run the transaction inside a session already holding the bus (BusQueue.session) instead of queueing it. */
  tx?: Transact;
}

interface Pending {
  address: string;
  op: string;
  functionCode: number;
  di?: string;
  resolve: (f: Dlt645Frame) => void;
  reject: (e: unknown) => void;
  /** First damage seen while waiting; reported if no good reply follows. */
  damage?: PrepaidError;
}

export class Dlt645Master {
  readonly queue: BusQueue;
  readonly stats: Dlt645MasterStats = { transactions: 0, timeouts: 0, damaged: 0, abnormal: 0, opens: 0 };
  private port: SerialPort | undefined;
  private opening: Promise<SerialPort> | undefined;
  private pending: Pending | undefined;
  private readonly splitter: Dlt645Splitter;
  private readonly clock: Clock;

  constructor(
    readonly bus: Dlt645LineConfig,
    private readonly opts: Dlt645MasterOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.queue = opts.queue ?? new BusQueue(bus.interFrameDelayMs, this.clock);
    this.splitter = new Dlt645Splitter({ onGarbage: (err) => this.onGarbage(err) });
  }

  /** Read one DI in the protocols table, decoded to its canonical unit (energy in integer Wh). */
  async readData(address: string, di: string, call: Dlt645CallOptions = {}): Promise<Dlt645Reading> {
    const reply = await this.readRaw(address, di, call);
    try {
      return dlt645ReadingFromReply(reply);
    } catch (e) {
      throw this.withContext(e, address, `read ${reply.di}`);
    }
  }

  /** Read one DI and return its value bytes undecoded (status words and DIs outside the table). */
  async readRaw(address: string, di: string, call: Dlt645CallOptions = {}): Promise<Dlt645ReadReply> {
    const addr = normalizeDlt645Address(address);
    const wantDi = normalizeDlt645Di(di);
    const request = encodeReadDataRequest(addr, wantDi, this.encodeOpts());
    const frame = await this.transact(addr, request, DLT645_FUNCTION.READ_DATA, `read ${wantDi}`, { priority: 'low', ...call }, wantDi);
    return this.expect(() => parseReadDataReply(frame, wantDi), addr, `read ${wantDi}`);
  }

  /** Run status word 3 as a number (bit 4: relay open). */
  async readStatusWord3(address: string, call: Dlt645CallOptions = {}): Promise<number> {
    const r = await this.readRaw(address, DLT645_STATUS_WORD_3_DI, { priority: 'high', ...call });
    if (r.payload.length !== 2)
      throw new PrepaidError('E_FRAME_LENGTH', `status word 3 holds 2 bytes, got ${r.payload.length}`, { bus: this.bus.id, address, op: `read ${DLT645_STATUS_WORD_3_DI}`, offset: r.payloadOffset });
    return r.payload.readUInt16LE(0);
  }

  /** The load relay as the meter reports it in run status word 3. */
  async readRelayState(address: string, call: Dlt645CallOptions = {}): Promise<'open' | 'closed'> {
    return (await this.readStatusWord3(address, call)) & DLT645_STATUS3_RELAY_OPEN ? 'open' : 'closed';
  }

  /**
   * Relay control (0x1C): trip, allow the customer to close, or close directly. Resolves on the
   * meter's acknowledgement (0x9C); a refusal throws E_DLT645_ERROR with the error byte. Queued
   * ahead of readings.
   */
  async relayControl(address: string, op: Dlt645RelayOp, opts: Dlt645RelayOptions = {}, call: Dlt645CallOptions = {}): Promise<void> {
    const addr = normalizeDlt645Address(address);
    const command = RELAY_COMMANDS[op];
    if (!command) throw new PrepaidError('E_FRAME_VALUE', `relay operation "${String(op)}" is not trip, close-allowed or close-directly`, { path: 'op' });
    const expiry = dlt645DateTimeFromDate(new Date(this.clock.now() + (this.opts.relayExpiryMs ?? 600_000)), this.opts.utcOffsetMinutes ?? 480);
    const request = encodeRelayControlRequest(
      addr,
      { command, credentials: { level: opts.level ?? 2, password: opts.password ?? '000000', operator: opts.operator ?? '00000000' }, expiry },
      this.encodeOpts(),
    );
    const frame = await this.transact(addr, request, DLT645_FUNCTION.RELAY_CONTROL, `relay ${op}`, { priority: 'high', ...call });
    this.expect(() => parseRelayControlReply(frame), addr, `relay ${op}`);
  }

  /**
   * Broadcast time sync (0x08) with the gateway's time in the meters' local time (utcOffsetMinutes):
   * every meter on the line sets its clock and none answers, so this is done when the frame has left.
   * Queued ahead of readings. Returns the time sent (epoch ms, whole seconds).
   */
  async broadcastTimeSync(opts: { offsetMinutesAt?: (ms: number) => number } = {}, call: Dlt645CallOptions = {}): Promise<number> {
    const send = async (): Promise<number> => {
      const port = await this.open();
      const at = Math.floor(this.clock.now() / 1000) * 1000;
      const offset = opts.offsetMinutesAt ? opts.offsetMinutesAt(at) : (this.opts.utcOffsetMinutes ?? 480);
      const frame = encodeTimeSync(dlt645DateTimeFromDate(new Date(at), offset), this.encodeOpts());
      const ctx = { bus: this.bus.id, op: 'time sync' };
      this.stats.transactions++;
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error): void => reject(new PrepaidError('E_BUS_UNAVAILABLE', `write to bus ${this.bus.id} failed: ${err.message}`, ctx, { cause: err }));
        port.write(frame, (err) => err && fail(err));
        port.drain((err) => (err ? fail(err) : resolve()));
      });
      return at;
    };
    return call.tx ? call.tx(send) : this.queue.run(send, call.priority ?? 'high');
  }

  /** Close the line; a transaction still waiting fails with E_BUS_UNAVAILABLE. The next call reopens. */
  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    this.pending?.reject(new PrepaidError('E_BUS_UNAVAILABLE', `bus ${this.bus.id} closed`, { bus: this.bus.id }));
    await this.drop();
  }

  private encodeOpts(): { preamble: number } {
    return { preamble: this.opts.preamble ?? 4 };
  }

  /** Parse a matched reply; abnormal replies and malformed content get bus and address in context. */
  private expect<T extends { ok: true }>(parse: () => T | Dlt645Abnormal, address: string, op: string): T {
    try {
      return expectNormalReply(parse());
    } catch (e) {
      if (e instanceof Dlt645AbnormalError) this.stats.abnormal++;
      throw this.withContext(e, address, op);
    }
  }

  private withContext(e: unknown, address: string, op: string): unknown {
    if (isPrepaidError(e)) Object.assign(e.context, { bus: this.bus.id, address, op });
    return e;
  }

  private transact(address: string, request: Buffer, functionCode: number, op: string, call: Dlt645CallOptions, di?: string): Promise<Dlt645Frame> {
    const exchange = async (): Promise<Dlt645Frame> => {
      const port = await this.open();
      this.splitter.reset(); // bytes left from an earlier, failed transaction must not join this reply
      this.stats.transactions++;
      let timer: TimerHandle | undefined;
      let settled = false;
      try {
        return await new Promise<Dlt645Frame>((res, rej) => {
          const resolve = (f: Dlt645Frame): void => {
            settled = true;
            res(f);
          };
          const reject = (e: unknown): void => {
            settled = true;
            rej(e);
          };
          const p: Pending = { address, op, functionCode, resolve, reject, ...(di ? { di } : {}) };
          this.pending = p;
          const ctx = { bus: this.bus.id, address, op };
          port.write(request, (err) => {
            if (err) reject(new PrepaidError('E_BUS_UNAVAILABLE', `write to bus ${this.bus.id} failed: ${err.message}`, ctx, { cause: err }));
          });
          // The timeout counts from when the request has left, so slow baud rates do not eat into it.
          port.drain((err) => {
            if (err) return reject(new PrepaidError('E_BUS_UNAVAILABLE', `write to bus ${this.bus.id} failed: ${err.message}`, ctx, { cause: err }));
            if (!settled) timer = this.clock.setTimeout(() => reject(this.timeoutError(p, ctx)), this.bus.timeoutMs);
          });
        });
      } catch (e) {
        if (isPrepaidError(e) && e.code === 'E_BUS_UNAVAILABLE') await this.drop();
        throw e;
      } finally {
        this.clock.clearTimeout(timer);
        this.pending = undefined;
      }
    };
    return call.tx ? call.tx(exchange) : this.queue.run(exchange, call.priority);
  }

  private timeoutError(p: Pending, ctx: Record<string, unknown>): PrepaidError {
    const held = this.splitter.pending > 0 ? this.splitter.end() : {};
    const damage = p.damage ?? held.error;
    if (damage) return this.damaged(damage, ctx);
    this.stats.timeouts++;
    return new PrepaidError('E_DLT645_TIMEOUT', `meter ${p.address} on bus ${this.bus.id} did not answer ${ctx.op} within ${this.bus.timeoutMs} ms`, {
      ...ctx,
      timeoutMs: this.bus.timeoutMs,
    });
  }

  private damaged(cause: PrepaidError, ctx: Record<string, unknown>): PrepaidError {
    this.stats.damaged++;
    return new PrepaidError('E_FRAME_CHECKSUM', `damaged reply on bus ${this.bus.id} to ${String(ctx.op)}: ${cause.message}`, { ...ctx, detail: cause.code, offset: cause.offset }, { cause });
  }

  private onFrame(f: Dlt645Frame): void {
    const p = this.pending;
    if (!p || !f.fromSlave || f.functionCode !== p.functionCode) return; // echoes, other masters, stale replies
    if (!dlt645AddressMatches(p.address, f.address)) return;
    // A late reply to an earlier read of another DI from the same meter is not this reply.
    if (p.di && !f.abnormal && f.data.length >= 4 && dlt645DiFromBytes(f.data) !== p.di) return;
    p.resolve(f);
  }

  private onGarbage(err: PrepaidError): void {
    const p = this.pending;
    if (!p) return;
    if (err.code === 'E_FRAME_CHECKSUM') {
      // The reply itself was hit: waiting out the timeout would only delay the retry.
      p.reject(this.damaged(err, { bus: this.bus.id, address: p.address, op: p.op }));
      return;
    }
    p.damage ??= err;
  }

  private open(): Promise<SerialPort> {
    if (this.port?.isOpen) return Promise.resolve(this.port);
    this.opening ??= new Promise<SerialPort>((resolve, reject) => {
      const { path, baudRate, parity, stopBits } = this.bus;
      const port = new SerialPort({ path, baudRate, parity, stopBits, dataBits: 8, autoOpen: false });
      port.open((err) => {
        this.opening = undefined;
        if (err) {
          reject(new PrepaidError('E_BUS_UNAVAILABLE', `cannot open bus ${this.bus.id} (${path}): ${err.message}`, { bus: this.bus.id, path }, { cause: err }));
          return;
        }
        this.stats.opens++;
        port.on('data', (chunk: Buffer) => {
          for (const f of this.splitter.push(chunk)) this.onFrame(f);
        });
        port.on('error', (e: Error) => this.opts.log?.warn({ bus: this.bus.id, err: e.message }, 'DL/T 645 serial port error'));
        port.on('close', () => {
          if (this.port !== port) return;
          // Unplugged adapter or device gone: fail the waiting request now, reopen on the next call.
          this.port = undefined;
          this.pending?.reject(new PrepaidError('E_BUS_UNAVAILABLE', `bus ${this.bus.id} (${path}) closed`, { bus: this.bus.id, path }));
        });
        this.port = port;
        resolve(port);
      });
    });
    return this.opening;
  }

  private async drop(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.splitter.reset();
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }
}

