/**
 * Finds the reply to one RTU request in the bytes heard since it was sent. Pure: no timers, no I/O.
 * The line may carry garbage before or after the reply, frames of other units or of another master,
 * several frames stuck together, or a reply dripped in a byte at a time; the matcher scans for a
 * frame that starts with our unit and function (or its exception), has the length its function
 * gives, and passes its CRC. Nothing else is ever taken for the reply.
 */
import { crc16Modbus, rtuResponseLength } from '@prepaid-edge/protocols';

export type MatchResult =
  /** A whole reply with a good CRC: bytes [start, end) of the buffer. */
  | { kind: 'reply'; start: number; end: number }
  /** Nothing usable yet. `damaged`: a frame of our unit and function is whole but fails its CRC; `partial`: one has begun. */
  | { kind: 'none'; damaged: boolean; partial: boolean };

export function findReply(buf: Uint8Array, unit: number, fc: number): MatchResult {
  let damaged = false;
  let partial = false;
  const n = buf.length;
  for (let i = 0; i + 1 < n; i++) {
    if (buf[i] !== unit) continue;
    const f = buf[i + 1]!;
    if (f !== fc && f !== (fc | 0x80)) continue;
    const len = rtuResponseLength(buf.subarray(i));
    if (len === undefined) {
      partial = true;
      continue;
    }
    if (len < 4) continue;
    if (i + len > n) {
      partial = true;
      continue;
    }
    if (crcAt(buf, i, len)) return { kind: 'reply', start: i, end: i + len };
    // Another master's request to our unit is a good frame too, just not a reply: skip it, it is no damage.
    const reqLen = f <= 0x06 ? 8 : (f === 0x0f || f === 0x10) && i + 6 < n ? 9 + buf[i + 6]! : 0;
    if (reqLen && i + reqLen <= n && crcAt(buf, i, reqLen)) {
      i += reqLen - 1;
      continue;
    }
    damaged = true;
  }
  return { kind: 'none', damaged, partial };
}

function crcAt(buf: Uint8Array, start: number, len: number): boolean {
  const crc = crc16Modbus(buf, start, start + len - 2);
  return buf[start + len - 2] === (crc & 0xff) && buf[start + len - 1] === crc >> 8;
}

/** A growable receive buffer that reuses its memory between transactions (no per-request Buffer). */
export class RxBuffer {
  private mem: Buffer;
  length = 0;

  constructor(size = 512) {
    this.mem = Buffer.allocUnsafe(size);
  }

  push(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.mem.length) {
      // An RTU frame is at most 256 bytes: keep the newest bytes when noise overruns the buffer.
      if (chunk.length >= this.mem.length) {
        this.mem.set(chunk.subarray(chunk.length - this.mem.length));
        this.length = this.mem.length;
        return;
      }
      const keep = this.mem.length - chunk.length;
      this.mem.copyWithin(0, this.length - keep, this.length);
      this.length = keep;
    }
    this.mem.set(chunk, this.length);
    this.length += chunk.length;
  }

  view(): Buffer {
    return this.mem.subarray(0, this.length);
  }

  /** Drop the first `n` bytes (a frame that was not ours). */
  consume(n: number): void {
    this.mem.copyWithin(0, n, this.length);
    this.length = Math.max(0, this.length - n);
  }

  clear(): void {
    this.length = 0;
  }
}
