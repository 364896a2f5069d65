/**
 * A simulated multi-drop bus: many meters behind one line, addressed by unit id (Modbus) or by
 * meter address (DL/T 645). Transports (TCP server, serial port, in-process mock) hand frames
 * to the bus and write back whatever it returns after the delay it asks for.
 */
import { decodeRtu, encodeException, encodeRtu, EXCEPTION, frameError, isPrepaidError, rtuRequestLength } from '@prepaid-edge/protocols';
import { ModbusSimMeter } from './meters/modbus-meter.js';
import type { LineSettings, SimMeter } from './meters/sim-meter.js';
import { WireTiming } from './wire-timing.js';
import type { ReplyFaultDecision } from './faults.js';

export interface BusReply {
  bytes: Buffer;
  /** Real ms to wait before writing (wire timing, late-reply faults). */
  delayMs: number;
}

export interface BusStats {
  requests: number;
  replies: number;
  badFrames: number;
  broadcasts: number;
  unknownUnit: number;
  dropped: number;
}

export interface DialectHandler {
  /** Try to answer a non-Modbus frame (e.g. DL/T 645); undefined = not for any meter here. */
  handle(bytes: Buffer, line: LineSettings | undefined, bus: SimBus): Buffer | undefined;
}

export class SimBus {
  readonly modbus = new Map<number, ModbusSimMeter>();
  readonly all: SimMeter[] = [];
  readonly stats: BusStats = { requests: 0, replies: 0, badFrames: 0, broadcasts: 0, unknownUnit: 0, dropped: 0 };
  timing: WireTiming | undefined;
  dialect: DialectHandler | undefined;
  /** Called before every request so scenario events due by now are applied first. */
  beforeRequest: () => void = () => {};

  constructor(readonly id = 'bus1') {}

  add(meter: SimMeter): void {
    if (meter instanceof ModbusSimMeter) {
      if (this.modbus.has(meter.unit)) throw new RangeError(`unit ${meter.unit} already on ${this.id}`);
      this.modbus.set(meter.unit, meter);
    }
    this.all.push(meter);
  }

  /** Does a meter hear a master talking with these line settings? */
  private hears(m: SimMeter, line: LineSettings | undefined): boolean {
    return !m.line || !line || (m.line.baudRate === line.baudRate && m.line.parity === line.parity);
  }

  /**
   * Whether the meter a serial frame is for has line settings of its own, so the transport must
   * find out the master's before answering (a Modbus frame: its unit; anything else: the DL/T 645
   * meters on the bus).
   */
  lineMatters(frame: Buffer): boolean {
    try {
      return !!this.modbus.get(decodeRtu(frame).unit)?.line;
    } catch {
      return this.all.some((m) => m.protocol === 'dlt645' && m.line !== undefined);
    }
  }

  /** One serial frame from the master. Returns the reply bytes, or undefined for silence. */
  handleRtu(frame: Buffer, line?: LineSettings): BusReply | undefined {
    this.beforeRequest();
    this.stats.requests++;
    let unit: number;
    let pdu: Buffer;
    try {
      ({ unit, pdu } = decodeRtu(frame));
      // A good CRC on the wrong length is another slave's reply heard on the line, not a request.
      const len = rtuRequestLength(frame);
      if (len !== undefined && len > 0 && len !== frame.length) throw frameError('E_FRAME_LENGTH', `request of ${frame.length} bytes, its function code says ${len}`, len);
    } catch (e) {
      const alt = this.dialect?.handle(frame, line, this);
      if (alt) return this.reply(alt, frame.length, 0);
      if (isPrepaidError(e)) this.stats.badFrames++;
      this.timing?.occupy(frame.length);
      return undefined;
    }
    if (unit === 0) {
      this.broadcast(pdu, line);
      this.timing?.occupy(frame.length);
      return undefined;
    }
    const meter = this.modbus.get(unit);
    if (!meter || !this.hears(meter, line)) {
      const alt = this.dialect?.handle(frame, line, this);
      if (alt) return this.reply(alt, frame.length, 0);
      this.stats.unknownUnit++;
      this.timing?.occupy(frame.length);
      return undefined;
    }
    const r = this.answer(meter, pdu);
    if (!r) {
      this.timing?.occupy(frame.length);
      return undefined;
    }
    const bytes = encodeRtu(r.faults.wrongUnit ? (unit % 247) + 1 : unit, r.pdu);
    if (r.faults.corruptCrc) bytes[bytes.length - 1]! ^= 0x5a;
    return this.reply(bytes, frame.length, r.faults.extraDelayMs);
  }

  /** One Modbus TCP PDU for `unit`. Unknown units get exception 0x0B, as a TCP/RTU gateway answers. */
  handleTcp(unit: number, pdu: Buffer): { unit: number; pdu: Buffer; delayMs: number } | undefined {
    this.beforeRequest();
    this.stats.requests++;
    if (unit === 0) {
      this.broadcast(pdu, undefined);
      return undefined;
    }
    const meter = this.modbus.get(unit);
    if (!meter) {
      this.stats.unknownUnit++;
      this.stats.replies++;
      return { unit, pdu: encodeException(pdu[0] ?? 0, EXCEPTION.GATEWAY_TARGET_FAILED), delayMs: 0 };
    }
    const r = this.answer(meter, pdu);
    if (!r) return undefined;
    let out = r.pdu;
    if (r.faults.corruptCrc) {
      out = Buffer.from(out);
      out[out.length - 1]! ^= 0x5a; // no CRC on TCP: corrupt the payload instead
    }
    const delayMs = (this.timing ? this.timing.schedule(8 + 7, out.length + 7) : 0) + r.faults.extraDelayMs;
    this.stats.replies++;
    return { unit: r.faults.wrongUnit ? (unit % 247) + 1 : unit, pdu: out, delayMs };
  }

  private answer(meter: ModbusSimMeter, pdu: Buffer): { pdu: Buffer; faults: ReplyFaultDecision } | undefined {
    meter.sync();
    if (!meter.powered) {
      this.stats.dropped++;
      return undefined;
    }
    const faults = meter.replyFaults();
    if (faults.drop) {
      this.stats.dropped++;
      return undefined;
    }
    if (faults.exception !== undefined) return { pdu: encodeException(pdu[0] ?? 0, faults.exception), faults };
    return { pdu: meter.handlePdu(pdu), faults };
  }

  private broadcast(pdu: Buffer, line: LineSettings | undefined): void {
    this.stats.broadcasts++;
    const fc = pdu[0];
    if (fc !== 0x05 && fc !== 0x06 && fc !== 0x0f && fc !== 0x10) return; // only writes may be broadcast
    for (const m of this.modbus.values()) if (m.powered && this.hears(m, line)) m.handlePdu(pdu);
  }

  private reply(bytes: Buffer, requestBytes: number, extraDelayMs: number): BusReply {
    this.stats.replies++;
    const delayMs = (this.timing ? this.timing.schedule(requestBytes, bytes.length) : 0) + extraDelayMs;
    return { bytes, delayMs };
  }
}
