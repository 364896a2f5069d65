/**
 * Polls a PZEM-004T metering module over a serial port of the johnny-five IO plugin
 * (serialConfig / serialWrite / serialRead). One request in flight; a missing reply is
 * abandoned after `timeoutMs`, so the core sees the readings go stale.
 */
import type { IoPluginLike } from 'johnny-five';
import { isPrepaidError, RtuAccumulator, type PrepaidError } from '@prepaid-edge/protocols';
import type { ModuleReading } from '../core/meter-core.js';
import { parsePzemReply, pzemReadRequest } from './pzem004t.js';
import type { PinMap } from './pin-map.js';

export class PzemDriver {
  private acc = new RtuAccumulator('response');
  private sentAt: number | undefined;
  private nextPoll = -Infinity;
  readings = 0;
  errors = 0;

  constructor(
    private readonly io: IoPluginLike,
    private readonly spec: NonNullable<PinMap['meteringModule']>,
    private readonly pollMs: number,
    private readonly onReading: (r: ModuleReading) => void,
    private readonly onError: (e: PrepaidError) => void = () => {},
    private readonly timeoutMs = 1000,
  ) {
    if (!io.serialConfig || !io.serialWrite || !io.serialRead) throw new RangeError('this IO plugin has no serial ports for the metering module');
    const cfg: { portId: number | string; baud: number; rxPin?: number | string; txPin?: number | string } = { portId: spec.portId, baud: 9600 };
    if (spec.rxPin !== undefined) cfg.rxPin = spec.rxPin;
    if (spec.txPin !== undefined) cfg.txPin = spec.txPin;
    io.serialConfig(cfg);
    io.serialRead(spec.portId, (bytes) => this.received(bytes));
  }

  poll(now: number): void {
    if (this.sentAt !== undefined && now - this.sentAt >= this.timeoutMs) {
      this.sentAt = undefined;
      this.errors++;
    }
    if (this.sentAt !== undefined || now < this.nextPoll) return;
    this.nextPoll = now + this.pollMs;
    this.sentAt = now;
    this.acc = new RtuAccumulator('response');
    this.io.serialWrite!(this.spec.portId, [...pzemReadRequest(this.spec.address)]);
  }

  private received(bytes: number[]): void {
    if (this.sentAt === undefined) return;
    for (const frame of this.acc.push(Buffer.from(bytes))) {
      this.sentAt = undefined;
      try {
        this.onReading(parsePzemReply(frame));
        this.readings++;
      } catch (e) {
        if (!isPrepaidError(e)) throw e;
        this.errors++;
        this.onError(e);
      }
    }
  }
}
