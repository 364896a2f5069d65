/**
 * Cuts a serial byte stream into Modbus RTU frames.
 * A frame ends when its length rule is met and the CRC checks, or at a silence of 3.5 characters.
 * Bytes that do not form a good frame are dropped at the next silence (resynchronise by
 * silence, never by guessing), and reported so that CRC errors can be counted.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { frameError, PrepaidError } from '../errors.js';
import { crc16Modbus } from './crc16.js';
import { decodeRtu, rtuRequestLength, rtuResponseLength } from './rtu-frame.js';

export type RtuDirection = 'request' | 'response';

export interface RtuSplitterOptions {
  /** Which length rules apply: a slave reads requests, a master reads responses. */
  direction: RtuDirection;
  /** Silence that ends a frame, ms (interFrameMs(baud, bits)); a floor of 2 ms absorbs OS scheduling. */
  silenceMs: number;
  /** Largest frame we buffer before dropping (RTU max is 256 bytes). */
  maxFrame?: number;
}

export interface RtuFrameEvent {
  bytes: Buffer;
}

/** Pure core of the splitter; the stream below adds the silence timer. */
export class RtuAccumulator {
  private buf: Buffer = Buffer.alloc(0);
  private readonly lengthOf: (b: Uint8Array) => number | undefined;
  private readonly maxFrame: number;
  constructor(direction: RtuDirection, maxFrame = 256) {
    this.lengthOf = direction === 'request' ? rtuRequestLength : rtuResponseLength;
    this.maxFrame = maxFrame;
  }

  get pending(): number {
    return this.buf.length;
  }

  /** Add bytes; returns whole frames complete by length with a good CRC. */
  push(chunk: Uint8Array): Buffer[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const len = this.lengthOf(this.buf);
      if (len === undefined || len < 0 || this.buf.length < len) break;
      if (!crcOk(this.buf, len)) break; // wait for silence: maybe noise, maybe an unknown layout
      out.push(this.buf.subarray(0, len));
      this.buf = this.buf.subarray(len);
    }
    if (this.buf.length > this.maxFrame) this.buf = this.buf.subarray(this.buf.length - this.maxFrame);
    return out;
  }

  /** The line went silent: whatever is buffered is one frame candidate. */
  silence(): { frame?: Buffer; error?: PrepaidError; bytes?: Buffer } {
    if (this.buf.length === 0) return {};
    const bytes = this.buf;
    this.buf = Buffer.alloc(0);
    try {
      decodeRtu(bytes);
      // A good CRC is not enough: a frame whose function code has a length rule must have that
      // length. Otherwise a slave would take another slave's reply heard on the line (same CRC
      // rules, other layout) for a request and answer it.
      const len = this.lengthOf(bytes);
      if (len !== undefined && len > 0 && len !== bytes.length)
        return { error: frameError('E_FRAME_LENGTH', `${bytes.length} bytes where the function code's length rule says ${len}`, len), bytes };
      return { frame: bytes };
    } catch (e) {
      return { error: e as PrepaidError, bytes };
    }
  }
}

function crcOk(buf: Uint8Array, len: number): boolean {
  if (len < 4) return false;
  const crc = crc16Modbus(buf, 0, len - 2);
  return buf[len - 2] === (crc & 0xff) && buf[len - 1] === crc >> 8;
}

/**
 * Stream form: write raw serial bytes, read whole frames (Buffers). Garbage is emitted as
 * 'frameError' events carrying a PrepaidError (E_FRAME_CRC / E_FRAME_SHORT) and the raw bytes
 * (which another protocol on the same line, e.g. DL/T 645, may still understand).
 */
export class RtuSplitter extends Transform {
  private readonly acc: RtuAccumulator;
  private readonly silenceMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: RtuSplitterOptions) {
    super({ readableObjectMode: true });
    this.acc = new RtuAccumulator(opts.direction, opts.maxFrame);
    this.silenceMs = Math.max(2, opts.silenceMs);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    for (const f of this.acc.push(chunk)) this.push(f);
    this.arm();
    cb();
  }

  override _flush(cb: TransformCallback): void {
    this.onSilence();
    cb();
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    cb(err);
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.acc.pending > 0 ? setTimeout(() => this.onSilence(), this.silenceMs) : undefined;
  }

  private onSilence(): void {
    this.timer = undefined;
    const { frame, error, bytes } = this.acc.silence();
    if (frame) this.push(frame);
    if (error) this.emit('frameError', error, bytes);
  }
}
