/**
 * The meter as a Modbus RTU slave on its RS-485 port: frames cut by the shared RtuSplitter
 * (length rules + 3.5-character silence), requests for our unit answered, broadcasts (unit 0)
 * applied without a reply, frames for other units ignored, damaged frames counted.
 */
import type { Duplex } from 'node:stream';
import { bitsPerChar, decodeRtu, encodeRtu, interFrameMs, RtuSplitter } from '@prepaid-edge/protocols';
import type { Parity } from '../core/types.js';

export interface RtuSlaveOptions {
  /** Our unit id, read per frame (the console may change it). */
  unitId: () => number;
  handle: (pdu: Buffer) => Buffer;
  baudRate: number;
  parity: Parity;
  /** RS-485 driver enable (MAX485 DE pin) around transmissions. */
  transmit?: (active: boolean) => void;
}

export interface RtuSlaveStats {
  frames: number;
  replies: number;
  broadcasts: number;
  otherUnits: number;
  badFrames: number;
}

const BROADCAST_FCS = new Set([0x05, 0x06, 0x0f, 0x10]);

export class RtuSlavePort {
  readonly stats: RtuSlaveStats = { frames: 0, replies: 0, broadcasts: 0, otherUnits: 0, badFrames: 0 };
  private readonly splitter: RtuSplitter;

  constructor(
    private readonly port: Duplex,
    private readonly opts: RtuSlaveOptions,
  ) {
    this.splitter = new RtuSplitter({ direction: 'request', silenceMs: interFrameMs(opts.baudRate, bitsPerChar(opts.parity)) });
    this.splitter.on('data', (frame: Buffer) => this.onFrame(frame));
    this.splitter.on('frameError', () => this.stats.badFrames++);
    port.pipe(this.splitter);
  }

  private onFrame(frame: Buffer): void {
    this.stats.frames++;
    let unit: number;
    let pdu: Buffer;
    try {
      ({ unit, pdu } = decodeRtu(frame));
    } catch {
      this.stats.badFrames++;
      return;
    }
    if (unit === 0) {
      this.stats.broadcasts++;
      if (BROADCAST_FCS.has(pdu[0] ?? 0)) this.opts.handle(pdu);
      return;
    }
    if (unit !== this.opts.unitId()) {
      this.stats.otherUnits++;
      return;
    }
    const reply = encodeRtu(unit, this.opts.handle(pdu));
    this.stats.replies++;
    this.opts.transmit?.(true);
    this.port.write(reply, () => this.opts.transmit?.(false));
  }

  detach(): void {
    this.port.unpipe(this.splitter);
    this.splitter.destroy();
  }
}
