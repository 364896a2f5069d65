/**
 * validateProfile: the single gate a register map passes before anything uses it.
 * JSON Schema (protocols/schema/profile.schema.json) for shape, then the cross-register
 * rules a schema cannot say (unique names, no overlap, canonical units); then defaults
 * are filled in and the result is frozen.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
// The schema, compiled ahead of time (scripts/compile-schemas.mjs; start-up time).
import validator from '#schema/profile';
import { PrepaidError } from '../errors.js';
import { measurementFor } from './measurements.js';
import { registerWidth } from './raw-words.js';
import { isBitKind, type MeterProfile, type RegisterDef, type RegisterKind, type SignatureCheck, type SignatureRead, type ValueRange, type ValueType } from './types.js';

/** Compiles to protocols/dist/src/registers/, so the schema is three levels up. */
export const PROFILE_SCHEMA_URL = new URL('../../../schema/profile.schema.json', import.meta.url);

const schemaValidator = (): ValidateFunction => validator;

/** The raw shape of a register in a profile file, after the schema has accepted it. */
interface RegisterInput {
  name: string; kind: RegisterKind; address: number; type: ValueType; description: string;
  wordOrder?: RegisterDef['wordOrder']; scale?: number; unit?: string; access?: RegisterDef['access'];
  min?: number; max?: number; poll?: 'every' | 'slow'; notAvailable?: number;
}
interface ProfileInput {
  id: string; manufacturer: string; model: string; description: string; phases: 1 | 3;
  registers: RegisterInput[]; signature: Array<SignatureRead & { refused?: boolean; expect?: Record<string, ValueRange> }>;
}

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

function invalid(path: string, message: string, source: string | undefined, obj: unknown): PrepaidError {
  const where = registerNameAt(path, obj);
  const text = `${source ? `${source}: ` : ''}${path || '/'}${where ? ` (register "${where}")` : ''} ${message}`;
  return new PrepaidError('E_PROFILE_INVALID', text, source ? { path, source } : { path });
}

/** For '/registers/3/type', the name of register 3 if it has one, so messages say which register. */
function registerNameAt(path: string, obj: unknown): string | undefined {
  const m = /^\/registers\/(\d+)(\/|$)/.exec(path);
  if (!m || typeof obj !== 'object' || obj === null) return undefined;
  const regs = (obj as { registers?: unknown }).registers;
  const reg: unknown = Array.isArray(regs) ? regs[Number(m[1])] : undefined;
  const name = typeof reg === 'object' && reg !== null ? (reg as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}

function describeSchemaError(err: ErrorObject): { path: string; message: string } {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties':
      return { path: `${err.instancePath}/${escapePointer(String(p.additionalProperty))}`, message: `is not a known key (unknown key "${String(p.additionalProperty)}")` };
    case 'required':
      return { path: `${err.instancePath}/${escapePointer(String(p.missingProperty))}`, message: 'is required but missing' };
    case 'enum':
      return { path: err.instancePath, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { path: err.instancePath, message: `must be ${JSON.stringify(p.allowedValue)}${constWhy(err)}` };
    case 'not': {
      const forbidden = (err.schema as { const?: unknown }).const;
      return { path: err.instancePath, message: `must not be ${JSON.stringify(forbidden)}${constWhy(err)}` };
    }
    default:
      return { path: err.instancePath, message: err.message ?? `fails ${err.keyword}` };
  }
}

/** The conditional rules in the schema, said in words. */
function constWhy(err: ErrorObject): string {
  if (err.schemaPath.includes('/allOf/0/then')) return ' for coil and discrete registers';
  if (err.schemaPath.includes('/allOf/0/else')) return ' for holding and input registers (bool is for coils and discrete inputs)';
  if (err.schemaPath.includes('/allOf/1/then')) return ': discrete inputs and input registers are read-only';
  return '';
}

function checkSchema(obj: unknown, source: string | undefined): asserts obj is ProfileInput {
  const validate = schemaValidator();
  if (validate(obj)) return;
  // 'if' errors only say "must match then schema"; the error inside the branch names the field
  const err = (validate.errors ?? []).find((e) => e.keyword !== 'if') ?? validate.errors?.[0];
  const { path, message } = err ? describeSchemaError(err) : { path: '', message: 'is not a valid profile' };
  throw invalid(path, message, source, obj);
}

function checkRegisters(p: ProfileInput, source: string | undefined): void {
  const byName = new Map<string, number>();
  p.registers.forEach((r, i) => {
    const at = `/registers/${i}`;
    const first = byName.get(r.name);
    if (first !== undefined) throw invalid(`${at}/name`, `duplicates the name of /registers/${first}`, source, p);
    byName.set(r.name, i);
    if (r.address + registerWidth(r.type) > 0x10000) throw invalid(`${at}/address`, `${r.type} at ${r.address} runs past address 65535`, source, p);
    if (r.min !== undefined && r.max !== undefined && r.min > r.max) throw invalid(`${at}/max`, `${r.max} is below min ${r.min}`, source, p);
    const canonical = measurementFor(r.name);
    if (canonical && (r.unit ?? '') !== canonical.unit) {
      throw invalid(`${at}/unit`, `must be "${canonical.unit}" for the canonical measurement ${r.name} (got "${r.unit ?? ''}")`, source, p);
    }
    if (r.poll === 'slow' && canonical) throw invalid(`${at}/poll`, `must not be "slow" for the measurement ${r.name}: measurements are read every poll`, source, p);
    if (p.phases === 1 && /L[23]$/.test(r.name) && canonical) throw invalid(`${at}/name`, 'is a phase 2/3 measurement in a single-phase profile', source, p);
  });
  checkOverlap(p, source);
}

function checkOverlap(p: ProfileInput, source: string | undefined): void {
  const spans = p.registers
    .map((r, i) => ({ i, kind: r.kind, start: r.address, end: r.address + registerWidth(r.type) }))
    .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || a.start - b.start || a.i - b.i); // not localeCompare: no ICU data for ASCII kinds
  for (let k = 1; k < spans.length; k++) {
    const prev = spans[k - 1]!;
    const cur = spans[k]!;
    if (cur.kind === prev.kind && cur.start < prev.end) {
      const later = Math.max(cur.i, prev.i);
      const other = later === cur.i ? prev : cur;
      throw invalid(`/registers/${later}/address`, `overlaps "${p.registers[other.i]!.name}" (${other.kind} ${other.start}..${other.end - 1})`, source, p);
    }
  }
}

function checkSignature(p: ProfileInput, source: string | undefined): void {
  p.signature.forEach((s, i) => {
    const max = isBitKind(s.kind) ? 2000 : 125;
    if (s.count > max) throw invalid(`/signature/${i}/count`, `${s.count} exceeds the ${max} a single ${s.kind} read allows`, source, p);
    if (s.address + s.count > 0x10000) throw invalid(`/signature/${i}/count`, `read at ${s.address} runs past address 65535`, source, p);
    const inside = p.registers.filter((r) => r.kind === s.kind && r.access !== 'w' && r.address >= s.address && r.address + registerWidth(r.type) <= s.address + s.count);
    if (s.refused && inside.length > 0) throw invalid(`/signature/${i}/refused`, `the read covers this profile's register "${inside[0]!.name}", so the meter would answer it`, source, p);
    for (const [name, range] of Object.entries(s.expect ?? {})) {
      if (s.refused) throw invalid(`/signature/${i}/expect`, 'a refused read has no values to expect', source, p);
      if (!inside.some((r) => r.name === name)) throw invalid(`/signature/${i}/expect/${escapePointer(name)}`, `names no readable register inside ${s.kind} ${s.address}..${s.address + s.count - 1}`, source, p);
      if (range.min !== undefined && range.max !== undefined && range.min > range.max) throw invalid(`/signature/${i}/expect/${escapePointer(name)}/max`, `${range.max} is below min ${range.min}`, source, p);
    }
  });
}

function normaliseCheck(s: ProfileInput['signature'][number]): SignatureCheck {
  const expect = Object.fromEntries(Object.entries(s.expect ?? {}).map(([k, v]) => [k, Object.freeze({ ...v })]));
  return Object.freeze({ kind: s.kind, address: s.address, count: s.count, refused: s.refused ?? false, expect: Object.freeze(expect) });
}

function normaliseRegister(r: RegisterInput): RegisterDef {
  const canonical = measurementFor(r.name);
  const def: RegisterDef = {
    name: r.name,
    kind: r.kind,
    address: r.address,
    type: r.type,
    wordOrder: r.wordOrder ?? 'high-first',
    scale: r.scale ?? 1,
    unit: r.unit ?? '',
    access: r.access ?? 'r',
    description: r.description,
  };
  const min = r.min ?? canonical?.min;
  const max = r.max ?? canonical?.max;
  if (min !== undefined) def.min = min;
  if (max !== undefined) def.max = max;
  if (r.poll === 'slow') def.poll = 'slow';
  if (r.notAvailable !== undefined) def.notAvailable = r.notAvailable;
  return Object.freeze(def);
}

/**
 * Check a parsed profile and return it normalised (defaults filled in, canonical measurements
 * given their plausibility range when the file sets none) and deeply frozen. The input is not
 * modified. Throws PrepaidError E_PROFILE_INVALID with context.path a JSON pointer such as
 * '/registers/3/type' and a message naming the field (and `source`, e.g. the file name).
 */
export function validateProfile(obj: unknown, source?: string): MeterProfile {
  checkSchema(obj, source);
  checkRegisters(obj, source);
  checkSignature(obj, source);
  return Object.freeze({
    id: obj.id,
    manufacturer: obj.manufacturer,
    model: obj.model,
    description: obj.description,
    phases: obj.phases,
    registers: Object.freeze(obj.registers.map(normaliseRegister)) as RegisterDef[],
    signature: Object.freeze(obj.signature.map(normaliseCheck)) as SignatureCheck[],
  });
}
