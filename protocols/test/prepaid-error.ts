/** Assertions on PrepaidError shared by the codec tests (registers, DL/T 645). */
import type { ExecutionContext } from 'ava';
import { PrepaidError, type ErrorCode } from '../src/errors.js';

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

/** fn throws a PrepaidError with this code (and, when given, this byte offset); returns it. */
export function throwsCode(t: ExecutionContext, fn: () => unknown, code: ErrorCode, offset?: number): PrepaidError {
  const e = t.throws(fn, { instanceOf: PrepaidError }) as PrepaidError;
  t.is(e.code, code, e.message);
  if (offset !== undefined) t.is(e.offset, offset, e.message);
  return e;
}
