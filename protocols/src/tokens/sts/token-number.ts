/**
 * The 20-digit token number is a 66-bit value: the 64-bit (encrypted) data block with the two
 * class bits swapped in. Class bit 0 replaces block bit 27, class bit 1 replaces bit 28, and the
 * displaced block bits 27 and 28 become token bits 64 and 65.
 */
import { PrepaidError } from '../../errors.js';

const MAX_TOKEN = (1n << 66n) - 1n;
const BIT27 = 1n << 27n;
const BIT28 = 1n << 28n;

export interface TokenNumberParts {
  tokenClass: number;
  /** The 64-bit block as transmitted: ciphertext for classes 0 and 2, plaintext for class 1. */
  block: bigint;
}

function formatError(message: string): PrepaidError {
  return new PrepaidError('E_TOKEN_FORMAT', message, { path: 'token' });
}

/** Accepts 20 digits, optionally grouped with spaces or hyphens as printed on receipts. */
export function parseTokenNumber(token: string): TokenNumberParts {
  if (typeof token !== 'string') throw formatError('token must be a string of 20 digits');
  const digits = token.replace(/[\s-]/g, '');
  if (!/^\d{20}$/.test(digits)) throw formatError('token must be 20 decimal digits');
  const value = BigInt(digits);
  if (value > MAX_TOKEN) throw formatError('token value exceeds 66 bits');
  const tokenClass = Number(((value & BIT28) >> 27n) | ((value & BIT27) >> 27n));
  let block = value & ((1n << 64n) - 1n) & ~(BIT27 | BIT28);
  block |= ((value >> 64n) & 1n) << 27n;
  block |= ((value >> 65n) & 1n) << 28n;
  return { tokenClass, block };
}

export function formatTokenNumber(tokenClass: number, block: bigint): string {
  if (!Number.isInteger(tokenClass) || tokenClass < 0 || tokenClass > 3)
    throw new PrepaidError('E_VALUE_RANGE', `token class must be 0..3, got ${tokenClass}`, { path: 'class' });
  if (block < 0n || block >> 64n !== 0n)
    throw new PrepaidError('E_VALUE_RANGE', 'block must be a 64-bit unsigned bigint', { path: 'block' });
  let value = block & ~(BIT27 | BIT28);
  value |= BigInt(tokenClass & 1) << 27n;
  value |= BigInt(tokenClass >> 1) << 28n;
  value |= ((block >> 27n) & 1n) << 64n;
  value |= ((block >> 28n) & 1n) << 65n;
  return value.toString().padStart(20, '0');
}
