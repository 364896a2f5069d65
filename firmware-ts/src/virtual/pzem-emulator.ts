/**
 * A PZEM-004T v3.0 metering module on a serial port of the virtual board: answers FC 04 reads of
 * registers 0-9 with whatever the world (the simulator's physics) says; silent when unpowered.
 */
import { decodeRtu, encodeException, encodeRegistersResponse, encodeRtu, isPrepaidError, parseRequest } from '@prepaid-edge/protocols';
import { PZEM_GENERAL_ADDRESS, pzemWords, type PzemValues } from '../hw/pzem004t.js';
import type { SerialDevice } from './devices.js';

export class PzemEmulator implements SerialDevice {
  private buf: number[] = [];
  private readonly listeners: Array<(bytes: number[]) => void> = [];
  requests = 0;

  constructor(
    private readonly values: () => PzemValues | undefined,
    readonly address = 1,
  ) {}

  onData(listener: (bytes: number[]) => void): void {
    this.listeners.push(listener);
  }

  reset(): void {
    this.buf = [];
  }

  write(bytes: readonly number[]): void {
    this.buf.push(...bytes);
    while (this.buf.length >= 8) {
      const frame = Buffer.from(this.buf.splice(0, 8));
      this.answer(frame);
    }
  }

  private answer(frame: Buffer): void {
    let unit: number;
    let pdu: Buffer;
    try {
      ({ unit, pdu } = decodeRtu(frame));
    } catch (e) {
      if (isPrepaidError(e)) {
        this.buf = []; // resynchronise on the next request
        return;
      }
      throw e;
    }
    if (unit !== this.address && unit !== PZEM_GENERAL_ADDRESS) return;
    const v = this.values();
    if (!v) return;
    this.requests++;
    let reply: Buffer;
    try {
      const req = parseRequest(pdu);
      if (req.fc !== 0x04 || req.address + req.count > 10) reply = encodeException(pdu[0]!, 0x02);
      else reply = encodeRegistersResponse(0x04, pzemWords(v).slice(req.address, req.address + req.count));
    } catch {
      reply = encodeException(pdu[0] ?? 0, 0x01);
    }
    const out = [...encodeRtu(unit, reply)];
    for (const l of this.listeners) l(out);
  }
}
