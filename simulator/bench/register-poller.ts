/**
 * A Modbus TCP master for the scale benchmark: one connection per bus (as a gateway polls one
 * RS-485 line), every meter's register block read once per period, the reads spread evenly over
 * the period. Requests are pipelined and matched by transaction id; each reply is checked to be
 * the FC 04 answer with exactly `count` registers for the right unit.
 */
import net from 'node:net';
import { readTcpFrame, encodeTcp } from '@prepaid-edge/protocols';

export interface PollTarget {
  port: number;
  unit: number;
}

export interface PollerOptions {
  host: string;
  targets: PollTarget[];
  address: number;
  count: number;
  periodMs: number;
  /** A request unanswered this long counts as an error (timeout). */
  timeoutMs: number;
}

export interface PollCounters {
  sent: number;
  ok: number;
  /** Reply of the wrong size, function, unit or transaction id. */
  badReply: number;
  timeout: number;
  /** Round-trip times of good replies in the current window, ms. */
  rttMs: number[];
}

interface Pending {
  unit: number;
  sentAt: number;
}

interface Line {
  socket: net.Socket;
  pending: Map<number, Pending>;
  nextTid: number;
}

export class RegisterPoller {
  readonly counters: PollCounters = { sent: 0, ok: 0, badReply: 0, timeout: 0, rttMs: [] };
  private readonly lines = new Map<number, Line>();
  private readonly requestPdu: Buffer;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(private readonly opts: PollerOptions) {
    const { address, count } = opts;
    this.requestPdu = Buffer.from([0x04, address >> 8, address & 0xff, count >> 8, count & 0xff]);
  }

  async connect(): Promise<void> {
    const ports = [...new Set(this.opts.targets.map((t) => t.port))];
    await Promise.all(ports.map((port) => this.open(port)));
  }

  private open(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.opts.host, port }, () => {
        socket.off('error', reject);
        socket.on('error', () => {});
        resolve();
      });
      socket.once('error', reject);
      socket.setNoDelay(true);
      const line: Line = { socket, pending: new Map(), nextTid: 1 };
      this.lines.set(port, line);
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        let off = 0;
        for (;;) {
          let r: ReturnType<typeof readTcpFrame>;
          try {
            r = readTcpFrame(buf, off);
          } catch {
            this.counters.badReply++;
            socket.destroy();
            return;
          }
          if (!r) break;
          off += r.consumed;
          this.onReply(line, r.frame.transactionId, r.frame.unit, r.frame.pdu);
        }
        buf = buf.subarray(off);
      });
    });
  }

  private onReply(line: Line, tid: number, unit: number, pdu: Buffer): void {
    const p = line.pending.get(tid);
    if (!p) {
      this.counters.badReply++; // unknown or already timed-out transaction
      return;
    }
    line.pending.delete(tid);
    const good = unit === p.unit && pdu.length === 2 + 2 * this.opts.count && pdu[0] === 0x04 && pdu[1] === 2 * this.opts.count;
    if (!good) {
      this.counters.badReply++;
      return;
    }
    this.counters.ok++;
    this.counters.rttMs.push(performance.now() - p.sentAt);
  }

  /** Start polling: target i is read at i/N of every period. */
  start(): void {
    this.startedAt = performance.now();
    const n = this.opts.targets.length;
    let issued = 0;
    const tick = (): void => {
      const elapsed = performance.now() - this.startedAt;
      const due = Math.floor((elapsed * n) / this.opts.periodMs);
      for (; issued < due; issued++) this.send(this.opts.targets[issued % n]!);
      this.expire();
    };
    this.timer = setInterval(tick, 5);
  }

  private send(t: PollTarget): void {
    const line = this.lines.get(t.port);
    if (!line || line.socket.destroyed) {
      this.counters.sent++;
      this.counters.badReply++;
      return;
    }
    const tid = line.nextTid;
    line.nextTid = (tid % 0xffff) + 1;
    line.pending.set(tid, { unit: t.unit, sentAt: performance.now() });
    this.counters.sent++;
    line.socket.write(encodeTcp(tid, t.unit, this.requestPdu));
  }

  private expire(): void {
    const limit = performance.now() - this.opts.timeoutMs;
    for (const line of this.lines.values())
      for (const [tid, p] of line.pending) {
        if (p.sentAt >= limit) break; // insertion order = send order
        line.pending.delete(tid);
        this.counters.timeout++;
      }
  }

  /** Counters since the last call, then zeroed (the warm-up is discarded this way). */
  takeCounters(): PollCounters {
    const c = { ...this.counters, rttMs: this.counters.rttMs };
    Object.assign(this.counters, { sent: 0, ok: 0, badReply: 0, timeout: 0, rttMs: [] });
    return c;
  }

  /** Requests still waiting for a reply. */
  get inFlight(): number {
    let n = 0;
    for (const line of this.lines.values()) n += line.pending.size;
    return n;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const line of this.lines.values()) line.socket.destroy();
  }
}
