/**
 * The 64-bit plaintext data block shared by every token class:
 *   bits 60-63 subclass | bits 16-59 body (44 bits, class specific) | bits 0-15 CRC
 * Body layouts used here (offsets relative to bit 16 of the block):
 *   credit (class 0) and register-style management (class 2): random 40-43 | TID 16-39 | field 0-15
 */
import { stsCrc } from './crc.js';

export const BODY_BITS = 44n;
const BODY_MASK = (1n << BODY_BITS) - 1n;

export interface DataBlock {
  subclass: number;
  /** Bits 16..59 of the block. */
  body: bigint;
  /** CRC as stored in bits 0..15. */
  crc: number;
}

export function splitBlock(block: bigint): DataBlock {
  return { subclass: Number(block >> 60n), body: (block >> 16n) & BODY_MASK, crc: Number(block & 0xffffn) };
}

/** CRC the block should carry for its class. */
export function expectedCrc(tokenClass: number, block: bigint): number {
  return stsCrc(tokenClass, block >> 16n);
}

export function joinBlock(tokenClass: number, subclass: number, body: bigint): bigint {
  const data = (BigInt(subclass & 0xf) << BODY_BITS) | (body & BODY_MASK);
  return (data << 16n) | BigInt(stsCrc(tokenClass, data));
}

export interface TimedFields {
  random: number;
  tid: number;
  /** The 16-bit field: amount for credit tokens, MPL / register / rate / pad for management. */
  field: number;
}

export function readTimedBody(body: bigint): TimedFields {
  return { random: Number((body >> 40n) & 0xfn), tid: Number((body >> 16n) & 0xff_ffffn), field: Number(body & 0xffffn) };
}

export function timedBody(f: TimedFields): bigint {
  return (BigInt(f.random & 0xf) << 40n) | (BigInt(f.tid & 0xff_ffff) << 16n) | BigInt(f.field & 0xffff);
}
