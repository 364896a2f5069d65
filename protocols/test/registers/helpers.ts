import type { RegisterDef, RegisterKind, ValueType } from '../../src/registers/index.js';

/** A normalised RegisterDef for codec tests; kind follows the type (bool -> coil). */
export function def(type: ValueType, extra: Partial<RegisterDef> = {}): RegisterDef {
  const kind: RegisterKind = type === 'bool' ? 'coil' : 'holding';
  return { name: 'testValue', kind, address: 0, type, wordOrder: 'high-first', scale: 1, unit: '', access: 'rw', description: 'test', ...extra };
}

export { returnsOrPrepaidError, throwsCode } from '../prepaid-error.js';
