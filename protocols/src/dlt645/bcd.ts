/**
 * Packed BCD as DL/T 645 sends numbers: two decimal digits a byte, least significant byte first.
 * Signed quantities (current, power, power factor) use the top bit of the most significant
 * byte as the sign (1 = negative); the remaining 7 bits are still BCD.
 */
import { frameError, PrepaidError } from '../errors.js';

/** 7 bytes = 14 digits stay below 2^53, so numbers never lose precision. */
export const MAX_BCD_BYTES = 7;

export interface BcdOptions {
  /** Top bit of the most significant byte is a sign bit (default false). */
  signed?: boolean;
  /** Byte offset of bytes[0] in the caller's input, used in error offsets (default 0). */
  base?: number;
}

/** One BCD byte to 0..99; a nibble above 9 throws E_FRAME_BCD at `offset`. */
export function fromBcdByte(byte: number, offset = 0): number {
  const hi = byte >> 4;
  const lo = byte & 0x0f;
  if (hi > 9 || lo > 9) throw frameError('E_FRAME_BCD', `byte 0x${byte.toString(16).padStart(2, '0')} is not BCD`, offset);
  return hi * 10 + lo;
}

/** 0..99 to one BCD byte. */
export function toBcdByte(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 99) throw new PrepaidError('E_VALUE_RANGE', `${value} is not a two-digit BCD value`, { value });
  return ((value / 10) | 0) * 16 + (value % 10);
}

/** Largest magnitude `byteCount` BCD bytes hold (signed: the top digit stops at 7). */
export function bcdMax(byteCount: number, signed = false): number {
  const all = 10 ** (2 * byteCount) - 1;
  return signed ? 8 * 10 ** (2 * byteCount - 1) - 1 : all;
}

/** Decode BCD bytes (least significant first) to an integer. */
export function decodeBcd(bytes: Uint8Array, opts: BcdOptions = {}): number {
  const base = opts.base ?? 0;
  if (bytes.length < 1 || bytes.length > MAX_BCD_BYTES)
    throw frameError('E_FRAME_LENGTH', `BCD field of ${bytes.length} bytes (1..${MAX_BCD_BYTES} supported)`, base);
  let value = 0;
  let negative = false;
  for (let i = bytes.length - 1; i >= 0; i--) {
    let b = bytes[i]!;
    if (opts.signed && i === bytes.length - 1) {
      negative = (b & 0x80) !== 0;
      b &= 0x7f;
    }
    value = value * 100 + fromBcdByte(b, base + i);
  }
  return negative && value !== 0 ? -value : value;
}

/** Encode an integer as `byteCount` BCD bytes, least significant first. Out of range throws E_VALUE_RANGE. */
export function encodeBcd(value: number, byteCount: number, opts: { signed?: boolean; path?: string } = {}): Buffer {
  const path = opts.path ?? 'value';
  if (!Number.isInteger(byteCount) || byteCount < 1 || byteCount > MAX_BCD_BYTES)
    throw new PrepaidError('E_VALUE_RANGE', `BCD width ${byteCount} not in 1..${MAX_BCD_BYTES}`, { path });
  const signed = opts.signed ?? false;
  const max = bcdMax(byteCount, signed);
  if (!Number.isSafeInteger(value) || Math.abs(value) > max || (!signed && value < 0))
    throw new PrepaidError('E_VALUE_RANGE', `${value} does not fit ${byteCount} ${signed ? 'signed ' : ''}BCD bytes (max ${max})`, { path, value });
  const out = Buffer.alloc(byteCount);
  let rest = Math.abs(value);
  for (let i = 0; i < byteCount; i++) {
    out[i] = toBcdByte(rest % 100);
    rest = Math.floor(rest / 100);
  }
  if (signed && value < 0) out[byteCount - 1] = out[byteCount - 1]! | 0x80;
  return out;
}
