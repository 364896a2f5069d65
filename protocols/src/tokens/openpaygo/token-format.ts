import { sipHash24Words, type U64 } from './siphash24.js';
import { MAX_ACTIVATION_VALUE, MAX_ACTIVATION_VALUE_EXTENDED } from './constants.js';

/**
 * The two OpenPAYGO token sizes. A token is a code from a SipHash chain whose low digits (the
 * "base") were replaced by (value + starting-code base) modulo valueModulus.
 */
export interface TokenFormat {
  readonly name: 'standard' | 'extended';
  /** Decimal digits of the plain token. */
  readonly digits: number;
  /** Digits of the restricted (1-4) form: one digit per 2 bits. */
  readonly restrictedDigits: number;
  /** Bits carried by the restricted form. */
  readonly bits: number;
  /** 10^(number of low digits holding the value). */
  readonly valueModulus: number;
  readonly maxActivationValue: number;
  /** The 8 bytes hashed to get the code after `code`. */
  hashInput(code: number): Uint8Array;
  /** Digest -> code of at most `digits` digits. */
  reduce(digest: U64): number;
}

const TWO_POW_32 = 2 ** 32;

/** One SipHash block: two big-endian uint32, `hi` first. */
function block(hi: number, lo: number): Uint8Array {
  const msg = new Uint8Array(8);
  const view = new DataView(msg.buffer);
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return msg;
}

export const STANDARD: TokenFormat = {
  name: 'standard',
  digits: 9,
  restrictedDigits: 15,
  bits: 30,
  valueModulus: 1000,
  maxActivationValue: MAX_ACTIVATION_VALUE,
  // The code as big-endian uint32, written twice to fill the block.
  hashInput: (code) => block(code, code),
  reduce({ hi, lo }) {
    const bits30 = ((hi ^ lo) >>> 0) >>> 2;
    // 2^30 - 1 has 10 digits; the spec pulls the overflow back below 10^9 with this offset.
    return bits30 > 999_999_999 ? bits30 - 73_741_825 : bits30;
  },
};

export const EXTENDED: TokenFormat = {
  name: 'extended',
  digits: 12,
  restrictedDigits: 20,
  bits: 40,
  valueModulus: 1_000_000,
  maxActivationValue: MAX_ACTIVATION_VALUE_EXTENDED,
  // The code as big-endian uint64.
  hashInput: (code) => block(Math.floor(code / TWO_POW_32), code % TWO_POW_32),
  reduce({ hi, lo }) {
    const bits40 = hi * 256 + (lo >>> 24); // bits 24..63 of the digest
    return bits40 > 999_999_999_999 ? bits40 - 99_511_627_777 : bits40;
  },
};

export function nextCode(code: number, key: Uint8Array, format: TokenFormat): number {
  return format.reduce(sipHash24Words(key, format.hashInput(code)));
}

export function baseOf(code: number, format: TokenFormat): number {
  return code % format.valueModulus;
}

export function withBase(code: number, base: number, format: TokenFormat): number {
  return code - baseOf(code, format) + base;
}

/** The code `count` steps down the chain for a token whose base is `base`. */
export function chainCode(startingCode: number, base: number, count: number, key: Uint8Array, format: TokenFormat): number {
  let code = withBase(startingCode, base, format);
  for (let i = 0; i < count; i++) code = nextCode(code, key, format);
  return withBase(code, base, format);
}
