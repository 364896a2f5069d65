import { PrepaidError } from '../../errors.js';
import { MAX_COUNT, MAX_STARTING_CODE } from './constants.js';
import type { OpenPaygoKey } from './types.js';

/** Checks of caller-supplied settings; each failure is a PrepaidError naming the field. */

export function parseKey(key: OpenPaygoKey): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== 16) throw new PrepaidError('E_TOKEN_KEY', `key must be 16 bytes, got ${key.length}`, { path: 'key' });
    return Uint8Array.from(key);
  }
  if (typeof key === 'string' && /^[0-9a-fA-F]{32}$/.test(key)) return Uint8Array.from(Buffer.from(key, 'hex'));
  throw new PrepaidError('E_TOKEN_KEY', 'key must be 16 bytes or 32 hex characters', { path: 'key' });
}

export function checkInteger(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PrepaidError('E_VALUE_RANGE', `${path} must be an integer in ${min}..${max}`, { path, value });
  }
  return value;
}

export const checkStartingCode = (value: unknown): number => checkInteger(value, 'startingCode', 0, MAX_STARTING_CODE);

export const checkCount = (value: unknown, path: string): number => checkInteger(value, path, 0, MAX_COUNT);

export function checkUsedCounts(value: unknown): number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new PrepaidError('E_VALUE_RANGE', 'usedCounts must be an array', { path: 'usedCounts' });
  return value.map((c: unknown, i) => checkCount(c, `usedCounts[${i}]`));
}

export function checkFlag(value: unknown, path: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new PrepaidError('E_VALUE_RANGE', `${path} must be a boolean`, { path });
}
