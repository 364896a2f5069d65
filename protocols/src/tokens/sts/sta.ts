/**
 * EA07, the STS Standard Transfer Algorithm: 16 rounds of nibble substitution (S-box picked by a
 * key bit) and a 64-bit permutation, on a 64-bit block held as a bigint (bit 0 least significant).
 * Decryption is derived mechanically as the exact inverse of every encryption step.
 */
import { PrepaidError } from '../../errors.js';

const MASK64 = (1n << 64n) - 1n;
const ROUNDS = 16;

const S1 = [14, 10, 7, 9, 12, 3, 2, 5, 13, 0, 15, 1, 4, 8, 6, 11] as const;
const S2 = [12, 8, 2, 13, 7, 6, 1, 3, 11, 5, 9, 15, 0, 4, 10, 14] as const;
/** Output bit P[j] takes input bit j. */
const P = [
  55, 42, 10, 18, 24, 21, 44, 35, 2, 22, 56, 43, 27, 58, 9, 50, 6, 36, 12, 61, 37, 38, 53, 16, 62, 3, 7, 4, 32, 20, 63,
  25, 51, 52, 54, 33, 49, 19, 46, 29, 48, 31, 23, 30, 41, 28, 13, 5, 40, 60, 39, 11, 15, 17, 1, 0, 57, 34, 59, 8, 47,
  14, 45, 26,
] as const;

function invert(table: readonly number[]): number[] {
  const inv = new Array<number>(table.length);
  table.forEach((to, from) => (inv[to] = from));
  return inv;
}

const S1_INV = invert(S1);
const S2_INV = invert(S2);
/** Undoes P: bit P[j] goes back to j. */
const P_INV = invert(P);

function rotl64(x: bigint, n: number): bigint {
  const s = BigInt(n % 64);
  return ((x << s) | (x >> (64n - s))) & MASK64;
}

function substitute(block: bigint, keyRegister: bigint, s0: readonly number[], s1: readonly number[]): bigint {
  let out = 0n;
  for (let i = 0; i < 16; i++) {
    const shift = BigInt(4 * i);
    const nibble = Number((block >> shift) & 0xfn);
    const useSecond = ((keyRegister >> BigInt(4 * i + 3)) & 1n) === 1n;
    out |= BigInt((useSecond ? s1 : s0)[nibble]!) << shift;
  }
  return out;
}

function permute(block: bigint, table: readonly number[]): bigint {
  let out = 0n;
  for (let j = 0; j < 64; j++) if ((block >> BigInt(j)) & 1n) out |= 1n << BigInt(table[j]!);
  return out;
}

/** The key read as a little-endian 64-bit number: key bit i = bit (i mod 8) of byte floor(i/8). */
function initialKeyRegister(key: Uint8Array): bigint {
  if (!(key instanceof Uint8Array) || key.length !== 8)
    throw new PrepaidError('E_TOKEN_KEY', 'STA decoder key must be 8 bytes', { path: 'key' });
  const k = Buffer.from(key.buffer, key.byteOffset, 8).readBigUInt64LE(0);
  // rotate-right-12 of NOT key, written as rotate-left-52.
  return rotl64(~k & MASK64, 52);
}

function checkBlock(block: bigint): void {
  if (typeof block !== 'bigint' || block < 0n || block > MASK64)
    throw new PrepaidError('E_VALUE_RANGE', 'STA block must be a 64-bit unsigned bigint', { path: 'block' });
}

export function staEncrypt(block: bigint, key: Uint8Array): bigint {
  checkBlock(block);
  let keyRegister = initialKeyRegister(key);
  let b = block;
  for (let round = 0; round < ROUNDS; round++) {
    b = permute(substitute(b, keyRegister, S1, S2), P);
    keyRegister = rotl64(keyRegister, 1);
  }
  return b;
}

export function staDecrypt(block: bigint, key: Uint8Array): bigint {
  checkBlock(block);
  const k0 = initialKeyRegister(key);
  let b = block;
  for (let round = ROUNDS - 1; round >= 0; round--) {
    b = substitute(permute(b, P_INV), rotl64(k0, round), S1_INV, S2_INV);
  }
  return b;
}
