/**
 * Modbus RTU frame = unit id + PDU + CRC-16 (low byte first).
 * Length rules let a receiver cut a frame without waiting for the 3.5-character silence.
 */
import { frameError } from '../errors.js';
import { crc16Modbus } from './crc16.js';

export interface RtuFrame {
  unit: number;
  pdu: Buffer;
}

export function encodeRtu(unit: number, pdu: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(pdu.length + 3);
  out[0] = unit;
  out.set(pdu, 1);
  const crc = crc16Modbus(out, 0, pdu.length + 1);
  out[pdu.length + 1] = crc & 0xff;
  out[pdu.length + 2] = crc >> 8;
  return out;
}

/** Decode one whole RTU frame; every failure is a PrepaidError with the byte offset. */
export function decodeRtu(frame: Uint8Array): RtuFrame {
  if (frame.length < 4) throw frameError('E_FRAME_SHORT', `RTU frame needs at least 4 bytes, has ${frame.length}`, frame.length);
  const end = frame.length - 2;
  const expected = crc16Modbus(frame, 0, end);
  const got = frame[end]! | (frame[end + 1]! << 8);
  if (expected !== got)
    throw frameError('E_FRAME_CRC', `CRC 0x${got.toString(16).padStart(4, '0')} should be 0x${expected.toString(16).padStart(4, '0')}`, end);
  return { unit: frame[0]!, pdu: Buffer.from(frame.subarray(1, end)) };
}

/**
 * Total length of the request frame starting at buf[0], or undefined while too few bytes are
 * in to tell, or -1 when the function code gives no length rule (frame ends at silence).
 */
export function rtuRequestLength(buf: Uint8Array): number | undefined {
  if (buf.length < 2) return undefined;
  const fc = buf[1]!;
  if (fc >= 0x01 && fc <= 0x06) return 8;
  if (fc === 0x0f || fc === 0x10) return buf.length < 7 ? undefined : 9 + buf[6]!;
  return -1;
}

/** Same as rtuRequestLength for replies (master side). */
export function rtuResponseLength(buf: Uint8Array): number | undefined {
  if (buf.length < 2) return undefined;
  const fc = buf[1]!;
  if (fc & 0x80) return 5;
  if (fc >= 0x01 && fc <= 0x04) return buf.length < 3 ? undefined : 5 + buf[2]!;
  if (fc === 0x05 || fc === 0x06 || fc === 0x0f || fc === 0x10) return 8;
  return -1;
}

/** Characters on the wire per byte: start + 8 data + parity + stop(s). */
export function bitsPerChar(parity: 'none' | 'even' | 'odd', stopBits = 1): number {
  return 1 + 8 + (parity === 'none' ? 0 : 1) + stopBits;
}

/** Milliseconds one byte takes on the wire. */
export function charTimeMs(baudRate: number, bitsPerCharacter: number): number {
  return (bitsPerCharacter * 1000) / baudRate;
}

/** The 3.5-character inter-frame silence; fixed at 1.75 ms above 19200 baud (Modbus over serial line v1.02, 2.5.1.1). */
export function interFrameMs(baudRate: number, bitsPerCharacter: number): number {
  return baudRate > 19200 ? 1.75 : 3.5 * charTimeMs(baudRate, bitsPerCharacter);
}
