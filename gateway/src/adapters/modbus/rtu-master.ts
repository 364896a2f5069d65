/**
 * Modbus RTU master on a byte link (serial device, or TCP to an RS-485 converter): one request in
 * flight, the reply found by unit, function, length and CRC among whatever else the line carries
 * (rtu-matcher). A request goes out only after the line has been quiet for the frame gap (3.5
 * characters at the line's baud and framing), so a late reply to an earlier request is never taken
 * for the next one. Silence after a damaged frame ends the transaction at once as E_MODBUS_CRC (the
 * meter is alive; the poller repeats it), a truncated one as E_MODBUS_REPLY; only no reply at all
 * is E_MODBUS_TIMEOUT. After `reconnectAfterTimeouts` timeouts in a row with nothing heard the link
 * is dropped and reopened on the next request (an adapter re-plugged, a converter that restarted).
 */
import { encodeRequest, encodeRtu, parseResponse, systemClock, type Clock, type ModbusRequest, type ModbusResponse, type TimerHandle } from '@prepaid-edge/protocols';
import type { ByteLink, LinkOpener } from './links.js';
import { findReply, RxBuffer } from './rtu-matcher.js';
import { crcError, exceptionError, newStats, RequestMaster, replyError, timeoutError, unavailable, type MasterStats } from './request.js';

export interface RtuMasterOptions {
  bus: string;
  open: LinkOpener;
  timeoutMs: number;
  /** Quiet time that ends a frame, ms (frameGapMs(baud, framing) on serial; more over TCP). */
  silenceMs: number;
  /**
   * Quiet time before the next request after a good reply, ms (default silenceMs: the 3.5
   * characters a serial line needs; 0 over TCP, where a whole matched reply leaves nothing behind).
   * After anything else (timeout, damaged or stray bytes) the line must be quiet for silenceMs.
   */
  gapAfterReplyMs?: number;
  /** After a broadcast (unit 0) the wait before the next request, ms. */
  turnaroundMs?: number;
  reconnectAfterTimeouts?: number;
  clock?: Clock;
}

interface Pending {
  unit: number;
  req: ModbusRequest;
  ctx: Record<string, unknown>;
  mismatch: boolean;
  resolve(r: ModbusResponse): void;
  reject(e: Error): void;
}

export class RtuMaster extends RequestMaster {
  readonly stats: MasterStats = newStats();
  private link: ByteLink | undefined;
  private opening: Promise<ByteLink> | undefined;
  private pending: Pending | undefined;
  private readonly rx = new RxBuffer();
  private timeoutTimer: TimerHandle | undefined;
  private silenceTimer: TimerHandle | undefined;
  private lastRxAt = -Infinity;
  /** The quiet time the next request waits for, measured from lastRxAt. */
  private gapMs = 0;
  private heardSinceTimeout = false;
  private silentTimeouts = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly clock: Clock;
  private readonly reconnectAfter: number;

  constructor(private readonly o: RtuMasterOptions) {
    super();
    this.clock = o.clock ?? systemClock;
    this.reconnectAfter = o.reconnectAfterTimeouts ?? 3;
  }

  /** One transaction; callers are served one at a time in call order. */
  transact(unit: number, req: ModbusRequest): Promise<ModbusResponse> {
    const run = this.tail.then(() => this.once(unit, req));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async ensureLink(): Promise<ByteLink> {
    if (this.link) return this.link;
    this.opening ??= this.o
      .open({ data: (b) => this.onData(b), closed: (e) => this.onLinkClosed(e) })
      .then((l) => {
        this.link = l;
        return l;
      })
      .catch((e: unknown) => {
        throw unavailable({ bus: this.o.bus }, `cannot open bus ${this.o.bus}: ${(e as Error).message}`, e);
      })
      .finally(() => (this.opening = undefined));
    return this.opening;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.clock.setTimeout(r, ms));
  }

  private async once(unit: number, req: ModbusRequest): Promise<ModbusResponse> {
    if (this.closed) throw unavailable({ bus: this.o.bus, unit }, `bus ${this.o.bus} is closed`);
    const link = await this.ensureLink();
    // Wait for the line to be quiet: bytes still arriving (a late reply, another master) are not ours.
    // Bounded by the timeout: a line that never goes quiet (another master talking) gets our request anyway.
    const giveUpAt = this.clock.monotonic() + this.o.timeoutMs;
    for (let quiet = this.clock.monotonic() - this.lastRxAt; quiet < this.gapMs && this.clock.monotonic() < giveUpAt; quiet = this.clock.monotonic() - this.lastRxAt)
      await this.sleep(this.gapMs - quiet);
    this.rx.clear();
    this.stats.requests++;
    const frame = encodeRtu(unit, encodeRequest(req));
    if (unit === 0) {
      link.write(frame);
      await this.sleep(this.o.turnaroundMs ?? 100);
      return { fc: req.fc, address: 'address' in req ? req.address : 0, count: 0 } as ModbusResponse;
    }
    return new Promise<ModbusResponse>((resolve, reject) => {
      this.pending = { unit, req, ctx: { bus: this.o.bus, unit, fc: req.fc }, mismatch: false, resolve, reject };
      this.heardSinceTimeout = false;
      this.timeoutTimer = this.clock.setTimeout(() => this.onTimeout(), this.o.timeoutMs);
      link.write(frame);
    });
  }

  private settle(): Pending | undefined {
    const p = this.pending;
    this.pending = undefined;
    this.clock.clearTimeout(this.timeoutTimer);
    this.clock.clearTimeout(this.silenceTimer);
    this.timeoutTimer = this.silenceTimer = undefined;
    return p;
  }

  private onData(chunk: Buffer): void {
    this.lastRxAt = this.clock.monotonic();
    this.gapMs = this.o.silenceMs;
    this.heardSinceTimeout = true;
    const p = this.pending;
    if (!p) {
      this.stats.stray++;
      return;
    }
    this.rx.push(chunk);
    for (;;) {
      const m = findReply(this.rx.view(), p.unit, p.req.fc);
      if (m.kind === 'none') break;
      const buf = this.rx.view();
      let res: ModbusResponse;
      try {
        res = parseResponse(buf.subarray(m.start + 1, m.end - 2), p.req);
      } catch {
        // Our unit and function, a good CRC, but not an answer to this request (another master's exchange).
        p.mismatch = true;
        this.stats.stray++;
        this.rx.consume(m.end);
        continue;
      }
      this.settle();
      this.silentTimeouts = 0;
      this.stats.replies++;
      if (m.end === this.rx.length) this.gapMs = this.o.gapAfterReplyMs ?? this.o.silenceMs;
      if ('exception' in res) {
        this.stats.exceptions++;
        p.reject(exceptionError(p.ctx, res.exception));
      } else p.resolve(res);
      return;
    }
    this.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = this.clock.setTimeout(() => this.onSilence(), this.o.silenceMs);
  }

  private onSilence(): void {
    this.silenceTimer = undefined;
    const p = this.pending;
    if (!p) return;
    const m = findReply(this.rx.view(), p.unit, p.req.fc);
    if (m.kind === 'none' && m.damaged) {
      this.settle();
      this.silentTimeouts = 0;
      this.stats.crcErrors++;
      p.reject(crcError(p.ctx, 'reply failed its CRC check'));
    } else if (m.kind === 'none' && m.partial) {
      this.settle();
      this.silentTimeouts = 0;
      p.reject(replyError(p.ctx, `reply truncated (${this.rx.length} bytes, then silence)`));
    } else {
      // Garbage or other units' frames: forget them, keep waiting for ours.
      this.stats.stray++;
      this.rx.clear();
    }
  }

  private onTimeout(): void {
    this.timeoutTimer = undefined;
    const p = this.settle();
    if (!p) return;
    this.stats.timeouts++;
    if (p.mismatch) return p.reject(replyError(p.ctx, 'replies heard, none matching the request'));
    if (!this.heardSinceTimeout && ++this.silentTimeouts >= this.reconnectAfter && this.reconnectAfter > 0) {
      // Nothing at all on the line for a while: the link may be dead without knowing it.
      this.silentTimeouts = 0;
      this.stats.reconnects++;
      void this.dropLink();
    }
    p.reject(timeoutError(p.ctx, this.o.timeoutMs));
  }

  private onLinkClosed(e?: Error): void {
    this.link = undefined;
    this.stats.reconnects++;
    const p = this.settle();
    p?.reject(unavailable(p.ctx, `bus ${this.o.bus} went away: ${e?.message ?? 'closed'}`, e));
  }

  private async dropLink(): Promise<void> {
    const l = this.link;
    this.link = undefined;
    await l?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    const p = this.settle();
    p?.reject(unavailable(p.ctx, `bus ${this.o.bus} closed`));
    await this.opening?.catch(() => undefined);
    await this.dropLink();
  }
}
