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
    const crc = crc16Modbus(buf, i, i + len - 2);
    if (buf[i + len - 2] === (crc & 0xff) && buf[i + len - 1] === crc >> 8) return { kind: 'reply', start: i, end: i + len };
    damaged = true;
  }
  return { kind: 'none', damaged, partial };
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
