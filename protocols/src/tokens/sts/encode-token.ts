/** Typed fields -> 20-digit token (leading zeros kept). Classes 0 and 2 are STA-encrypted. */
import { PrepaidError } from '../../errors.js';
import { encodeAmountTenths } from './amount.js';
import { joinBlock, timedBody } from './data-block.js';
import { toKeyBytes, type KeyInput } from './key-input.js';
import { staEncrypt } from './sta.js';
import { checkTid, tidFromDate, type StsBaseDate } from './tid.js';
import { formatTokenNumber } from './token-number.js';
import type { StsTokenClass } from './token-types.js';

/** Give either `tid` or `issuedAt` (truncated to the minute). */
interface IssueTime {
  tid?: number;
  issuedAt?: Date;
}

export interface EncodeCreditInput extends IssueTime {
  class: 0;
  /** 0 electricity, 1 water, 2 gas, 3 time, 4 currency. */
  subclass: number;
  random: number;
  /** Rounded up to the next representable amount. Give this or amountRaw. */
  amountTenths?: number;
  amountRaw?: number;
}

export interface EncodeTestInput {
  class: 1;
  subclass: 0 | 1;
  /** 36 bits for subclass 0, 28 bits for subclass 1. */
  control: bigint;
  /** 8 bits for subclass 0, 16 bits for subclass 1. */
  manufacturerCode: number;
}

/** Management tokens with the random | TID | 16-bit field layout (subclasses 0, 1, 2, 5, 6, 7). */
export interface EncodeManagementInput extends IssueTime {
  class: 2;
  subclass: 0 | 1 | 2 | 5 | 6 | 7;
  random: number;
  /** Raw 16-bit field; for power limits use encodePowerLimit(watts). */
  value: number;
}

/** Any class and subclass with a ready 44-bit body (bits 16..59), e.g. key change sections. */
export interface EncodeRawInput {
  class: StsTokenClass;
  subclass: number;
  body: bigint;
}

export type EncodeTokenInput = EncodeCreditInput | EncodeTestInput | EncodeManagementInput | EncodeRawInput;

export interface EncodeOptions {
  /** Base date used to turn issuedAt into a TID; default 1993. */
  baseDate?: StsBaseDate;
}

function rangeError(path: string, message: string): PrepaidError {
  return new PrepaidError('E_VALUE_RANGE', message, { path });
}

function uint(value: unknown, bitCount: number, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** bitCount)
    throw rangeError(path, `${path} must be an integer of ${bitCount} bits, got ${String(value)}`);
  return value;
}

function ubig(value: unknown, bitCount: number, path: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value >> BigInt(bitCount) !== 0n)
    throw rangeError(path, `${path} must be a bigint of ${bitCount} bits`);
  return value;
}

function resolveTid(t: IssueTime, baseDate: StsBaseDate): number {
  if (t.tid !== undefined) {
    checkTid(t.tid);
    return t.tid;
  }
  if (t.issuedAt !== undefined) return tidFromDate(t.issuedAt, baseDate);
  throw rangeError('tid', 'give either tid or issuedAt');
}

function creditAmountRaw(input: EncodeCreditInput): number {
  if (input.amountRaw !== undefined) return uint(input.amountRaw, 16, 'amountRaw');
  if (input.amountTenths !== undefined) return encodeAmountTenths(input.amountTenths);
  throw rangeError('amountTenths', 'give either amountTenths or amountRaw');
}

/** The plaintext 64-bit data block (CRC included) for the input. */
export function buildDataBlock(input: EncodeTokenInput, opts: EncodeOptions = {}): bigint {
  const baseDate = opts.baseDate ?? 1993;
  if ('body' in input) {
    uint(input.class, 2, 'class');
    if ((input.class as number) === 3) throw rangeError('class', 'token class 3 is reserved');
    return joinBlock(input.class, uint(input.subclass, 4, 'subclass'), ubig(input.body, 44, 'body'));
  }
  switch (input.class) {
    case 0: {
      if (!Number.isInteger(input.subclass) || input.subclass < 0 || input.subclass > 4)
        throw rangeError('subclass', `credit subclass must be 0..4, got ${input.subclass}`);
      const field = creditAmountRaw(input);
      const tid = resolveTid(input, baseDate);
      return joinBlock(0, input.subclass, timedBody({ random: uint(input.random, 4, 'random'), tid, field }));
    }
    case 1: {
      const wide = input.subclass === 1;
      if (input.subclass !== 0 && !wide) throw rangeError('subclass', 'test token subclass must be 0 or 1');
      const mfrBits = wide ? 16 : 8;
      const control = ubig(input.control, 44 - mfrBits, 'control');
      const mfr = uint(input.manufacturerCode, mfrBits, 'manufacturerCode');
      return joinBlock(1, input.subclass, (control << BigInt(mfrBits)) | BigInt(mfr));
    }
    case 2: {
      if (![0, 1, 2, 5, 6, 7].includes(input.subclass))
        throw rangeError('subclass', `management subclass ${input.subclass} has no 16-bit field layout; use body`);
      const tid = resolveTid(input, baseDate);
      const field = uint(input.value, 16, 'value');
      return joinBlock(2, input.subclass, timedBody({ random: uint(input.random, 4, 'random'), tid, field }));
    }
    default:
      throw rangeError('class', `token class must be 0, 1 or 2`);
  }
}

/** Key is needed for classes 0 and 2 (8 bytes or 16 hex digits); class 1 is sent in clear. */
export function encodeToken(input: EncodeTokenInput, key?: KeyInput, opts: EncodeOptions = {}): string {
  const block = buildDataBlock(input, opts);
  if (input.class === 1) return formatTokenNumber(1, block);
  if (key === undefined) throw new PrepaidError('E_TOKEN_KEY', `class ${input.class} tokens need a decoder key`, { path: 'key' });
  return formatTokenNumber(input.class, staEncrypt(block, toKeyBytes(key)));
}
