import type { ExecutionContext } from 'ava';
import { PrepaidError, type ErrorCode } from '../../src/errors.js';

/**
 * Build a frame by hand from hex text, appending the checksum computed here (independently of
 * the codec: sum of every byte from the first 68, mod 256) and the end byte 16.
 */
export function handFrame(hex: string): Buffer {
  const body = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const start = body.indexOf(0x68);
  let sum = 0;
  for (let i = start; i < body.length; i++) sum += body[i]!;
  return Buffer.concat([body, Buffer.of(sum % 256, 0x16)]);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');
}

/** Run fn; true if it returns or throws a PrepaidError. Any other error is rethrown (fails the property). */
export function returnsOrPrepaidError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof PrepaidError) return true;
    throw e;
  }
}

export function throwsCode(t: ExecutionContext, fn: () => unknown, code: ErrorCode, offset?: number): PrepaidError {
  const e = t.throws(fn, { instanceOf: PrepaidError }) as PrepaidError;
  t.is(e.code, code, e.message);
  if (offset !== undefined) t.is(e.offset, offset, e.message);
  return e;
}
