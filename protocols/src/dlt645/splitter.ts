/**
 * Cuts a serial byte stream into DL/T 645 frames. Unlike Modbus RTU, a DL/T 645 frame carries its
 * own delimiters, length and checksum, so no silence timer is needed: bytes go in, whole frames
 * come out, and garbage is skipped up to the next 0x68 that starts a valid frame.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { frameError, type PrepaidError } from '../errors.js';
import { DLT645_MAX_DATA, DLT645_MIN_FRAME, DLT645_PREAMBLE } from './constants.js';
import { findFrame } from './find-frame.js';
import type { Dlt645Frame } from './frame.js';

/** Largest frame: 12 bytes around 255 bytes of DATA. */
const MAX_FRAME = DLT645_MIN_FRAME + DLT645_MAX_DATA;

export interface Dlt645SplitterOptions {
  /** Most bytes kept while waiting for a frame to complete (default 1024, at least 267). */
  maxBuffer?: number;
  /** Told about every run of skipped bytes that were not wake-up bytes (for line-noise counters). */
  onGarbage?: (error: PrepaidError, bytes: Buffer) => void;
}

export class Dlt645Splitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxBuffer: number;
  private readonly onGarbage: ((error: PrepaidError, bytes: Buffer) => void) | undefined;

  constructor(opts: Dlt645SplitterOptions = {}) {
    this.maxBuffer = Math.max(MAX_FRAME, opts.maxBuffer ?? 1024);
    this.onGarbage = opts.onGarbage;
  }

  /** Bytes held back because they may begin a frame. */
  get pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
  }

  /** The line closed: drop what is held; an error if it was more than wake-up bytes. */
  end(): { error?: PrepaidError; bytes?: Buffer } {
    const bytes = this.buf;
    this.buf = Buffer.alloc(0);
    if (bytes.every((b) => b === DLT645_PREAMBLE)) return {};
    return { error: frameError('E_FRAME_SHORT', `stream ended inside a frame (${bytes.length} bytes held)`, bytes.length), bytes };
  }

  /** Add bytes; returns the frames they complete, in order. */
  push(chunk: Uint8Array): Dlt645Frame[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const frames: Dlt645Frame[] = [];
    for (;;) {
      const r = findFrame(this.buf);
      if (r.error) this.onGarbage?.(r.error, Buffer.from(this.buf.subarray(0, r.start ?? r.consumed)));
      this.buf = this.buf.subarray(r.consumed);
      if (!r.frame) break;
      frames.push(r.frame);
    }
    if (this.buf.length > this.maxBuffer) {
      const drop = this.buf.length - this.maxBuffer;
      this.onGarbage?.(frameError('E_FRAME_SHORT', `dropped ${drop} bytes over the ${this.maxBuffer}-byte buffer`, 0), Buffer.from(this.buf.subarray(0, drop)));
      this.buf = this.buf.subarray(drop);
    }
    // Detach from the caller's and earlier chunks' memory so a long-lived remainder pins nothing big.
    if (this.buf.length > 0 && this.buf.byteOffset !== 0) this.buf = Buffer.from(this.buf);
    return frames;
  }
}

/**
 * Stream form: write raw serial bytes, read Dlt645Frame objects. Skipped garbage is emitted as
 * 'frameError' events with the PrepaidError and the raw bytes.
 */
export class Dlt645FrameStream extends Transform {
  private readonly splitter: Dlt645Splitter;

  constructor(opts: Omit<Dlt645SplitterOptions, 'onGarbage'> = {}) {
    super({ readableObjectMode: true });
    this.splitter = new Dlt645Splitter({ ...opts, onGarbage: (error, bytes) => this.emit('frameError', error, bytes) });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    for (const f of this.splitter.push(chunk)) this.push(f);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    const { error, bytes } = this.splitter.end();
    if (error) this.emit('frameError', error, bytes);
    cb();
  }
}
