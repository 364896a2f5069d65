/**
 * Modbus PDU codec (function code + data), shared by RTU and TCP framing.
 * Slave side: parseRequest / encode*Response. Master side: encodeRequest / parseResponse.
 */
import { frameError, PrepaidError } from '../errors.js';
import { EXCEPTION, EXCEPTION_NAMES, FC, LIMITS } from './constants.js';

export type ModbusRequest =
  | { fc: 0x01 | 0x02 | 0x03 | 0x04; address: number; count: number }
  | { fc: 0x05; address: number; value: boolean }
  | { fc: 0x06; address: number; value: number }
  | { fc: 0x0f; address: number; values: boolean[] }
  | { fc: 0x10; address: number; values: number[] };

export type ModbusResponse =
  | { fc: 0x01 | 0x02; bits: boolean[] }
  | { fc: 0x03 | 0x04; registers: number[] }
  | { fc: 0x05; address: number; value: boolean }
  | { fc: 0x06; address: number; value: number }
  | { fc: 0x0f | 0x10; address: number; count: number }
  | { fc: number; exception: number };

/** A request the slave understood the framing of but must refuse with an exception code. */
export class ModbusExceptionError extends PrepaidError {
  readonly fc: number;
  readonly exception: number;
  constructor(fc: number, exception: number, message: string) {
    super('E_MODBUS_EXCEPTION', `${message} (exception ${exception}: ${EXCEPTION_NAMES[exception] ?? 'unknown'})`, {
      fc,
      exception,
    });
    this.fc = fc;
    this.exception = exception;
  }
}

function need(pdu: Uint8Array, n: number, base: number): void {
  if (pdu.length < n) throw frameError('E_FRAME_SHORT', `PDU needs ${n} bytes, has ${pdu.length}`, base + pdu.length);
}

const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;

/**
 * Parse a request PDU as a slave. Malformed framing throws PrepaidError (E_FRAME_*);
 * well-framed requests with bad quantities or unknown functions throw ModbusExceptionError,
 * which the slave turns into an exception reply. `base` offsets error positions (1 for RTU).
 */
export function parseRequest(pdu: Uint8Array, base = 0): ModbusRequest {
  need(pdu, 1, base);
  const fc = pdu[0]!;
  switch (fc) {
    case FC.READ_COILS:
    case FC.READ_DISCRETE_INPUTS:
    case FC.READ_HOLDING_REGISTERS:
    case FC.READ_INPUT_REGISTERS: {
      need(pdu, 5, base);
      const address = u16(pdu, 1);
      const count = u16(pdu, 3);
      const max = fc <= 0x02 ? LIMITS.maxReadBits : LIMITS.maxReadRegisters;
      if (count < 1 || count > max) throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_VALUE, `quantity ${count} not in 1..${max}`);
      if (address + count > 0x10000) throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_ADDRESS, `address ${address}+${count} past 65535`);
      return { fc, address, count };
    }
    case FC.WRITE_SINGLE_COIL: {
      need(pdu, 5, base);
      const raw = u16(pdu, 3);
      if (raw !== 0xff00 && raw !== 0x0000) throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_VALUE, `coil value 0x${raw.toString(16)} is neither 0xFF00 nor 0x0000`);
      return { fc, address: u16(pdu, 1), value: raw === 0xff00 };
    }
    case FC.WRITE_SINGLE_REGISTER:
      need(pdu, 5, base);
      return { fc, address: u16(pdu, 1), value: u16(pdu, 3) };
    case FC.WRITE_MULTIPLE_COILS:
    case FC.WRITE_MULTIPLE_REGISTERS: {
      need(pdu, 6, base);
      const address = u16(pdu, 1);
      const count = u16(pdu, 3);
      const byteCount = pdu[5]!;
      const isCoils = fc === FC.WRITE_MULTIPLE_COILS;
      const max = isCoils ? LIMITS.maxWriteBits : LIMITS.maxWriteRegisters;
      const expectedBytes = isCoils ? Math.ceil(count / 8) : count * 2;
      if (count < 1 || count > max || byteCount !== expectedBytes)
        throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_VALUE, `quantity ${count} / byte count ${byteCount} invalid`);
      need(pdu, 6 + byteCount, base);
      if (pdu.length !== 6 + byteCount) throw frameError('E_FRAME_LENGTH', `PDU has ${pdu.length - 6 - byteCount} bytes past its byte count`, base + 6 + byteCount);
      if (address + count > 0x10000) throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_ADDRESS, `address ${address}+${count} past 65535`);
      if (isCoils) return { fc, address, values: unpackBits(pdu, 6, count) };
      const values: number[] = new Array(count);
      for (let i = 0; i < count; i++) values[i] = u16(pdu, 6 + 2 * i);
      return { fc, address, values };
    }
    default:
      throw new ModbusExceptionError(fc & 0x7f, EXCEPTION.ILLEGAL_FUNCTION, `function 0x${fc.toString(16)} not supported`);
  }
}

export function unpackBits(bytes: Uint8Array, start: number, count: number): boolean[] {
  const out: boolean[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = ((bytes[start + (i >> 3)]! >> (i & 7)) & 1) === 1;
  return out;
}

export function packBits(bits: readonly boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

export function encodeBitsResponse(fc: 0x01 | 0x02, bits: readonly boolean[]): Buffer {
  const packed = packBits(bits);
  return Buffer.concat([Buffer.from([fc, packed.length]), packed]);
}

/** Registers response written straight from a word source; avoids an intermediate array on hot paths. */
export function encodeRegistersResponse(fc: 0x03 | 0x04, words: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(2 + words.length * 2);
  out[0] = fc;
  out[1] = words.length * 2;
  // plain byte stores: writeUInt16BE's per-call bounds checks showed up in the simulator's TCP profile
  for (let i = 0, j = 2; i < words.length; i++, j += 2) {
    const w = words[i]!;
    out[j] = (w >> 8) & 0xff;
    out[j + 1] = w & 0xff;
  }
  return out;
}

export function encodeWriteEcho(fc: 0x05 | 0x06 | 0x0f | 0x10, address: number, valueOrCount: number): Buffer {
  return fcWord2(fc, address, valueOrCount);
}

function fcWord2(fc: number, address: number, valueOrCount: number): Buffer {
  const out = Buffer.allocUnsafe(5);
  out[0] = fc;
  out.writeUInt16BE(address, 1);
  out.writeUInt16BE(valueOrCount & 0xffff, 3);
  return out;
}

export function encodeException(fc: number, exception: number): Buffer {
  return Buffer.from([(fc | 0x80) & 0xff, exception]);
}

/** Master side: build the request PDU. */
export function encodeRequest(req: ModbusRequest): Buffer {
  switch (req.fc) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04:
      return fcWord2(req.fc, req.address, req.count);
    case 0x05:
      return encodeWriteEcho(0x05, req.address, req.value ? 0xff00 : 0);
    case 0x06:
      return encodeWriteEcho(0x06, req.address, req.value);
    case 0x0f: {
      const packed = packBits(req.values);
      const head = Buffer.from([0x0f, req.address >> 8, req.address & 0xff, req.values.length >> 8, req.values.length & 0xff, packed.length]);
      return Buffer.concat([head, packed]);
    }
    case 0x10: {
      const out = Buffer.allocUnsafe(6 + req.values.length * 2);
      out[0] = 0x10;
      out.writeUInt16BE(req.address, 1);
      out.writeUInt16BE(req.values.length, 3);
      out[5] = req.values.length * 2;
      req.values.forEach((v, i) => out.writeUInt16BE(v & 0xffff, 6 + 2 * i));
      return out;
    }
  }
}

/** Master side: parse a response PDU, checked against the request that caused it. */
export function parseResponse(pdu: Uint8Array, req: ModbusRequest, base = 0): ModbusResponse {
  need(pdu, 2, base);
  const fc = pdu[0]!;
  if (fc === (req.fc | 0x80)) return { fc: req.fc, exception: pdu[1]! };
  if (fc !== req.fc) throw frameError('E_FRAME_FUNCTION', `reply function 0x${fc.toString(16)} does not match request 0x${req.fc.toString(16)}`, base);
  switch (req.fc) {
    case 0x01:
    case 0x02: {
      const n = pdu[1]!;
      if (n !== Math.ceil(req.count / 8)) throw frameError('E_FRAME_LENGTH', `byte count ${n} for ${req.count} bits`, base + 1);
      need(pdu, 2 + n, base);
      return { fc: req.fc, bits: unpackBits(pdu, 2, req.count) };
    }
    case 0x03:
    case 0x04: {
      const n = pdu[1]!;
      if (n !== req.count * 2) throw frameError('E_FRAME_LENGTH', `byte count ${n} for ${req.count} registers`, base + 1);
      need(pdu, 2 + n, base);
      const registers: number[] = new Array(req.count);
      for (let i = 0; i < req.count; i++) registers[i] = u16(pdu, 2 + 2 * i);
      return { fc: req.fc, registers };
    }
    case 0x05:
    case 0x06: {
      need(pdu, 5, base);
      const address = u16(pdu, 1);
      const raw = u16(pdu, 3);
      return req.fc === 0x05 ? { fc: 0x05, address, value: raw === 0xff00 } : { fc: 0x06, address, value: raw };
    }
    case 0x0f:
    case 0x10:
      need(pdu, 5, base);
      return { fc: req.fc, address: u16(pdu, 1), count: u16(pdu, 3) };
  }
}
