import type { ExecutionContext } from 'ava';
import { PrepaidError, type ErrorCode } from '../../src/errors.js';
import type { RegisterDef, RegisterKind, ValueType } from '../../src/registers/index.js';

/** A normalised RegisterDef for codec tests; kind follows the type (bool -> coil). */
export function def(type: ValueType, extra: Partial<RegisterDef> = {}): RegisterDef {
  const kind: RegisterKind = type === 'bool' ? 'coil' : 'holding';
  return { name: 'testValue', kind, address: 0, type, wordOrder: 'high-first', scale: 1, unit: '', access: 'rw', description: 'test', ...extra };
}

/** Run fn; pass if it returns, or throws a PrepaidError (never any other error). */
export function returnsOrPrepaidError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof PrepaidError) return true;
    throw e;
  }
}

export function throwsCode(t: ExecutionContext, fn: () => unknown, code: ErrorCode): PrepaidError {
  const e = t.throws(fn, { instanceOf: PrepaidError }) as PrepaidError;
  t.is(e.code, code, e.message);
  return e;
}
