/**
 * `--timing wire`: replies leave when they would on a real RS-485 line. A request of q bytes
 * and a reply of r bytes at B baud take (q + r) characters of wire time, plus the meter's
 * turnaround; one line carries one transaction at a time, so concurrent requests queue.
 */
import { bitsPerChar, charTimeMs } from '@prepaid-edge/protocols';

export interface WireTimingOptions {
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  /** Slave turnaround between the end of the request and the start of the reply, ms. */
  turnaroundMs: number;
}

export class WireTiming {
  readonly charMs: number;
  private busyUntil = 0;
  /** Total ms of characters on the wire, for efficiency figures. */
  wireMs = 0;

  constructor(readonly opts: WireTimingOptions) {
    this.charMs = charTimeMs(opts.baudRate, bitsPerChar(opts.parity));
  }

  /** Real-time delay (ms from now) after which a reply to this request should be written. */
  schedule(requestBytes: number, replyBytes: number, nowMs = performance.now()): number {
    const start = Math.max(nowMs, this.busyUntil);
    const wire = (requestBytes + replyBytes) * this.charMs;
    this.wireMs += wire;
    const done = start + wire + this.opts.turnaroundMs;
    this.busyUntil = done;
    return done - nowMs;
  }

  /** A request nobody answers still occupies the line for its own characters. */
  occupy(requestBytes: number, nowMs = performance.now()): void {
    const start = Math.max(nowMs, this.busyUntil);
    const wire = requestBytes * this.charMs;
    this.wireMs += wire;
    this.busyUntil = start + wire;
  }
}
