/**
 * Modbus TCP master: MBAP transaction ids checked on every reply, up to `maxInFlight` requests on
 * the connection at once (default 1: most meters and gateways take one). A reply whose id is not
 * waiting (a late reply after its timeout, a duplicate) is dropped, never given to another request.
 * A stream that breaks the MBAP rules cannot be resynchronised: the connection is closed and opened
 * again on the next request, as after the peer closed it or `reconnectAfterTimeouts` timeouts in a
 * row with nothing heard (a half-open connection).
 */
import net from 'node:net';
import { encodeRequest, encodeTcp, frameError, parseResponse, systemClock, type Clock, type ModbusRequest, type ModbusResponse, type TimerHandle } from '@prepaid-edge/protocols';
import { RxBuffer } from './rtu-matcher.js';
import { exceptionError, newStats, RequestMaster, replyError, timeoutError, unavailable, type MasterStats } from './request.js';

export interface TcpMasterOptions {
  bus: string;
  host: string;
  port: number;
  timeoutMs: number;
  maxInFlight?: number;
  reconnectAfterTimeouts?: number;
  clock?: Clock;
}

/** readTcpFrame's checks without its copy of the PDU: the header at `start`, or undefined while incomplete. */
function mbapAt(buf: Buffer, start: number): { tid: number; consumed: number } | undefined {
  if (buf.length - start < 7) return undefined;
  if (buf[start + 2] !== 0 || buf[start + 3] !== 0) throw frameError('E_FRAME_PROTOCOL', 'protocol id is not 0 (Modbus)', start + 2);
  const length = (buf[start + 4]! << 8) | buf[start + 5]!;
  if (length < 2 || length > 254) throw frameError('E_FRAME_LENGTH', `MBAP length ${length} not in 2..254`, start + 4);
  if (buf.length - start < 6 + length) return undefined;
  return { tid: (buf[start]! << 8) | buf[start + 1]!, consumed: 6 + length };
}

interface Pending {
  tid: number;
  unit: number;
  req: ModbusRequest;
  /** Built only on failure (this runs for every transaction). */
  ctx: Record<string, unknown> | undefined;
  timer: TimerHandle | undefined;
  resolve(r: ModbusResponse): void;
  reject(e: Error): void;
}

export class TcpMaster extends RequestMaster {
  readonly stats: MasterStats = newStats();
  private sock: net.Socket | undefined;
  private opening: Promise<net.Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Array<() => void> = [];
  private readonly rx = new RxBuffer(260 * 8);
  private nextTid = 0;
  /** Requests holding a slot: connecting or waiting for their reply. */
  private busy = 0;
  private heard = false;
  private silentTimeouts = 0;
  private closed = false;
  private readonly clock: Clock;
  private readonly maxInFlight: number;
  private readonly reconnectAfter: number;

  constructor(private readonly o: TcpMasterOptions) {
    super();
    this.clock = o.clock ?? systemClock;
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 1);
    this.reconnectAfter = o.reconnectAfterTimeouts ?? 3;
  }

  transact(unit: number, req: ModbusRequest): Promise<ModbusResponse> {
    // Fast path (every poll once connected): no await before the write.
    if (this.sock && !this.closed && this.busy < this.maxInFlight) {
      this.busy++;
      return this.send(this.sock, unit, req);
    }
    return this.slowTransact(unit, req);
  }

  private async slowTransact(unit: number, req: ModbusRequest): Promise<ModbusResponse> {
    while (this.busy >= this.maxInFlight) await new Promise<void>((r) => this.waiting.push(r));
    const ctx = { bus: this.o.bus, unit, fc: req.fc };
    this.busy++;
    let sock: net.Socket;
    try {
      if (this.closed) throw unavailable(ctx, `bus ${this.o.bus} is closed`);
      sock = await this.connect();
    } catch (e) {
      this.freeSlot();
      throw e;
    }
    return this.send(sock, unit, req);
  }

  /** Write one request on a held slot; the reply (or timeout, or close) settles it. */
  private send(sock: net.Socket, unit: number, req: ModbusRequest): Promise<ModbusResponse> {
    let tid = (this.nextTid = (this.nextTid + 1) & 0xffff);
    while (this.pending.has(tid)) tid = this.nextTid = (this.nextTid + 1) & 0xffff;
    this.stats.requests++;
    return new Promise<ModbusResponse>((resolve, reject) => {
      const p: Pending = { tid, unit, req, ctx: undefined, timer: undefined, resolve, reject };
      p.timer = this.clock.setTimeout(() => this.onTimeout(p), this.o.timeoutMs);
      this.pending.set(tid, p);
      sock.write(encodeTcp(tid, unit, encodeRequest(req)));
    });
  }

  private connect(): Promise<net.Socket> {
    if (this.sock) return Promise.resolve(this.sock);
    this.opening ??= new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: this.o.host, port: this.o.port, noDelay: true });
      const t = this.clock.setTimeout(() => s.destroy(new Error('connect timed out')), this.o.timeoutMs);
      const fail = (e: Error): void => {
        this.clock.clearTimeout(t);
        reject(unavailable({ bus: this.o.bus }, `cannot connect to ${this.o.host}:${this.o.port}: ${e.message}`, e));
      };
      s.once('error', fail);
      s.once('connect', () => {
        this.clock.clearTimeout(t);
        s.off('error', fail);
        s.setKeepAlive(true, 10_000);
        s.on('error', () => undefined); // 'close' follows
        s.on('data', (b) => this.onData(b));
        s.on('close', () => this.onClose(s));
        this.rx.clear();
        this.sock = s;
        resolve(s);
      });
    }).finally(() => (this.opening = undefined));
    return this.opening;
  }

  private ctxOf(p: Pending): Record<string, unknown> {
    return (p.ctx ??= { bus: this.o.bus, unit: p.unit, fc: p.req.fc });
  }

  private release(p: Pending): void {
    this.clock.clearTimeout(p.timer);
    this.pending.delete(p.tid);
    this.freeSlot();
  }

  private freeSlot(): void {
    this.busy--;
    this.waiting.shift()?.();
  }

  private onData(chunk: Buffer): void {
    this.heard = true;
    this.rx.push(chunk);
    let off = 0;
    const buf = this.rx.view();
    for (;;) {
      let r;
      try {
        r = mbapAt(buf, off);
      } catch (e) {
        this.stats.stray++;
        this.failAll((ctx) => replyError(ctx, `bad MBAP stream: ${(e as Error).message}`, e));
        this.sock?.destroy();
        return;
      }
      if (!r) break;
      const start = off;
      off += r.consumed;
      const transactionId = r.tid;
      const unit = buf[start + 6]!;
      const pdu = buf.subarray(start + 7, off);
      const p = this.pending.get(transactionId);
      if (!p) {
        this.stats.stray++; // late (its request timed out) or never asked for
        continue;
      }
      this.release(p);
      this.silentTimeouts = 0;
      this.stats.replies++;
      if (unit !== p.unit) {
        p.reject(replyError(this.ctxOf(p), `reply from unit ${unit} to a request for unit ${p.unit}`));
        continue;
      }
      let res: ModbusResponse;
      try {
        res = parseResponse(pdu, p.req);
      } catch (e) {
        p.reject(replyError(this.ctxOf(p), (e as Error).message, e));
        continue;
      }
      if ('exception' in res) {
        this.stats.exceptions++;
        p.reject(exceptionError(this.ctxOf(p), res.exception));
      } else p.resolve(res);
    }
    if (off) this.rx.consume(off);
  }

  private onTimeout(p: Pending): void {
    p.timer = undefined;
    if (this.pending.get(p.tid) !== p) return;
    this.release(p);
    this.stats.timeouts++;
    if (!this.heard && this.reconnectAfter > 0 && ++this.silentTimeouts >= this.reconnectAfter) {
      this.silentTimeouts = 0;
      this.stats.reconnects++;
      this.sock?.destroy();
    }
    this.heard = false;
    p.reject(timeoutError(this.ctxOf(p), this.o.timeoutMs));
  }

  private failAll(err: (ctx: Record<string, unknown>) => Error): void {
    for (const p of [...this.pending.values()]) {
      this.release(p);
      p.reject(err(this.ctxOf(p)));
    }
  }

  private onClose(s: net.Socket): void {
    if (this.sock !== s) return;
    this.sock = undefined;
    this.rx.clear();
    this.failAll((ctx) => unavailable(ctx, `connection to ${this.o.host}:${this.o.port} closed`));
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.sock;
    await this.opening?.catch(() => undefined);
    const sock = this.sock ?? s;
    if (sock && !sock.destroyed) {
      const done = new Promise<void>((r) => sock.once('close', () => r()));
      sock.destroy();
      await done;
    }
  }
}
