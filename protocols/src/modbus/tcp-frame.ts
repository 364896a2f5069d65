/**
 * Modbus TCP: MBAP header (transaction id, protocol id 0, length = unit + PDU, unit id) + PDU, no CRC.
 */
import { frameError } from '../errors.js';

export interface TcpFrame {
  transactionId: number;
  unit: number;
  pdu: Buffer;
}

export const MBAP_LENGTH = 7;

export function encodeTcp(transactionId: number, unit: number, pdu: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(MBAP_LENGTH + pdu.length);
  out.writeUInt16BE(transactionId & 0xffff, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unit;
  out.set(pdu, 7);
  return out;
}

/**
 * Look at the start of a TCP byte stream: returns the frame and bytes consumed, or
 * `undefined` while incomplete. A bad protocol id or length throws (the connection should close:
 * there is no way to resynchronise a TCP stream).
 */
export function readTcpFrame(buf: Uint8Array, start = 0): { frame: TcpFrame; consumed: number } | undefined {
  if (buf.length - start < MBAP_LENGTH) return undefined;
  const protocol = (buf[start + 2]! << 8) | buf[start + 3]!;
  if (protocol !== 0) throw frameError('E_FRAME_PROTOCOL', `protocol id ${protocol} is not 0 (Modbus)`, start + 2);
  const length = (buf[start + 4]! << 8) | buf[start + 5]!;
  if (length < 2 || length > 254) throw frameError('E_FRAME_LENGTH', `MBAP length ${length} not in 2..254`, start + 4);
  const total = 6 + length;
  if (buf.length - start < total) return undefined;
  return {
    frame: {
      transactionId: (buf[start]! << 8) | buf[start + 1]!,
      unit: buf[start + 6]!,
      pdu: Buffer.from(buf.subarray(start + 7, start + total)),
    },
    consumed: total,
  };
}

/** Decode exactly one whole frame (tests, captures). */
export function decodeTcp(buf: Uint8Array): TcpFrame {
  const r = readTcpFrame(buf);
  if (!r) throw frameError('E_FRAME_SHORT', `MBAP frame incomplete: ${buf.length} bytes`, buf.length);
  if (r.consumed !== buf.length) throw frameError('E_FRAME_LENGTH', `${buf.length - r.consumed} bytes past the MBAP length`, r.consumed);
  return r.frame;
}
