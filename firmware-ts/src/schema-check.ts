/**
 * Configuration is validated once, at the edge, against a JSON schema in firmware-ts/config/
 * (unknown keys rejected, defaults filled in), and frozen. Errors carry E_CONFIG_INVALID and
 * context.path as a JSON pointer.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { PrepaidError } from '@prepaid-edge/protocols';

/** Compiles to firmware-ts/dist/src/, so config/ is two levels up. */
export const CONFIG_DIR_URL = new URL('../../config/', import.meta.url);

const compiled = new Map<string, ValidateFunction>();
let shared: Ajv | undefined;

/** One instance for all our schemas; our own schemas are not re-validated against the meta-schema at
 * run time (that compile alone costs ~40 ms per process; the test suite validates them instead). */
function ajv(): Ajv {
  shared ??= new Ajv({ useDefaults: true, allErrors: false, strict: false, validateSchema: false });
  return shared;
}

function validator(schemaFile: string): ValidateFunction {
  let v = compiled.get(schemaFile);
  if (!v) {
    const schema = JSON.parse(readFileSync(new URL(schemaFile, CONFIG_DIR_URL), 'utf8')) as object;
    v = ajv().compile(schema);
    compiled.set(schemaFile, v);
  }
  return v;
}

function describe(err: ErrorObject): { path: string; message: string } {
  const p = err.params as Record<string, unknown>;
  if (err.keyword === 'additionalProperties') return { path: `${err.instancePath}/${String(p.additionalProperty)}`, message: 'is not a known key' };
  if (err.keyword === 'required') return { path: `${err.instancePath}/${String(p.missingProperty)}`, message: 'is required' };
  return { path: err.instancePath || '/', message: err.message ?? 'is invalid' };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Validate a parsed document (a copy is taken, defaults filled in, the result frozen). */
export function checkAgainstSchema<T>(schemaFile: string, data: unknown, source = 'config'): T {
  const copy = structuredClone(data);
  const v = validator(schemaFile);
  if (!v(copy)) {
    const { path, message } = describe(v.errors![0]!);
    throw new PrepaidError('E_CONFIG_INVALID', `${source}: ${path} ${message}`, { path, source });
  }
  return deepFreeze(copy as T);
}

/** Read and validate a JSON file. */
export function loadJsonFile<T>(schemaFile: string, file: string): T {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PrepaidError('E_CONFIG_INVALID', `${file}: cannot read JSON (${(e as Error).message})`, { path: '/', source: file }, { cause: e });
  }
  return checkAgainstSchema<T>(schemaFile, data, file);
}
