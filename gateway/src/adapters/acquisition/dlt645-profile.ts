/**
 * DL/T 645 meter models as data: gateway/profiles/dlt645/<id>.json lists the data identifiers one
 * poll reads, validated by schema/dlt645-profile.schema.json plus rules a schema cannot say (each DI
 * is in the protocols DI table and carries the measurement named). A new model is a new file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
// schema/dlt645-profile.schema.json, compiled ahead of time (scripts/compile-schemas.mjs; start-up time).
import validate from '#schema/dlt645-profile';
import { findDlt645DataItem, MEASUREMENTS, PrepaidError, type Dlt645DataItem } from '@prepaid-edge/protocols';

/** Compiles to gateway/dist/src/adapters/acquisition/, so profiles and schema are four levels up. */
export const DLT645_PROFILES_DIR_URL = new URL('../../../../profiles/dlt645/', import.meta.url);

export interface Dlt645ProfileRead {
  di: string;
  /** Canonical measurement name (protocols MEASUREMENTS). */
  name: string;
  item: Dlt645DataItem;
  min?: number;
  max?: number;
}

/** One identification read (see the schema's `signature`). */
export interface Dlt645SignatureCheck {
  di: string;
  item: Dlt645DataItem;
  refused: boolean;
  min?: number;
  max?: number;
}

export interface Dlt645Profile {
  id: string;
  description: string;
  manufacturer?: string;
  model?: string;
  phases: 1 | 3;
  reads: readonly Dlt645ProfileRead[];
  /** Empty when the file gives none: such a profile is never told by a scan. */
  signature: readonly Dlt645SignatureCheck[];
}

const FILE_NAME = /^([a-z0-9][a-z0-9-]*)\.json$/;
const cache = new Map<string, Dlt645Profile>();

export function listDlt645Profiles(): string[] {
  let files: string[];
  try {
    files = readdirSync(DLT645_PROFILES_DIR_URL);
  } catch {
    return [];
  }
  return files.flatMap((f) => FILE_NAME.exec(f)?.[1] ?? []).sort();
}

function invalid(source: string, path: string, message: string): PrepaidError {
  return new PrepaidError('E_PROFILE_INVALID', `${source}: ${path}: ${message}`, { path, source });
}

function schemaMessage(e: ErrorObject): { path: string; message: string } {
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    return { path: `${e.instancePath}/${key}`, message: 'unknown key' };
  }
  if (e.keyword === 'required') {
    const key = (e.params as { missingProperty: string }).missingProperty;
    return { path: `${e.instancePath}/${key}`, message: 'is required' };
  }
  return { path: e.instancePath || '/', message: e.message ?? 'is invalid' };
}

/** Validate a parsed profile object; errors are E_PROFILE_INVALID with `context.path` a JSON pointer. */
export function validateDlt645Profile(raw: unknown, source = 'dlt645 profile'): Dlt645Profile {
  if (!validate(raw)) {
    const { path, message } = schemaMessage(validate.errors![0]!);
    throw invalid(source, path, message);
  }
  const p = raw as Omit<Dlt645Profile, 'reads' | 'signature'> & {
    reads: Array<{ di: string; name: string; min?: number; max?: number }>;
    signature?: Array<{ di: string; refused?: boolean; min?: number; max?: number }>;
  };
  const seenDi = new Set<string>();
  const seenName = new Set<string>();
  const reads = p.reads.map((r, i): Dlt645ProfileRead => {
    const at = `/reads/${i}`;
    const item = findDlt645DataItem(r.di);
    if (!item) throw invalid(source, `${at}/di`, `DI ${r.di} is not in the protocols data identifier table`);
    if (!item.measurement) throw invalid(source, `${at}/di`, `DI ${item.di} (${item.key}) carries no canonical measurement`);
    if (r.name !== item.measurement) throw invalid(source, `${at}/name`, `DI ${item.di} carries "${item.measurement}", not "${r.name}"`);
    if (seenDi.has(item.di)) throw invalid(source, `${at}/di`, `DI ${item.di} is read twice`);
    if (seenName.has(r.name)) throw invalid(source, `${at}/name`, `"${r.name}" is read twice`);
    if (p.phases === 1 && /L[23]$/.test(r.name)) throw invalid(source, `${at}/name`, `"${r.name}" in a single-phase profile`);
    if (r.min !== undefined && r.max !== undefined && r.min > r.max) throw invalid(source, `${at}/min`, `min ${r.min} > max ${r.max}`);
    seenDi.add(item.di);
    seenName.add(r.name);
    const m = MEASUREMENTS[r.name]!;
    return Object.freeze({ di: item.di, name: r.name, item, min: r.min ?? m.min, max: r.max ?? m.max });
  });
  const signature = (p.signature ?? []).map((c, i): Dlt645SignatureCheck => {
    const at = `/signature/${i}`;
    const item = findDlt645DataItem(c.di);
    if (!item) throw invalid(source, `${at}/di`, `DI ${c.di} is not in the protocols data identifier table`);
    if (c.refused && (c.min !== undefined || c.max !== undefined)) throw invalid(source, `${at}/min`, 'a refused read has no value to bound');
    if (!c.refused && !item.measurement) throw invalid(source, `${at}/di`, `DI ${item.di} (${item.key}) carries no canonical measurement to check`);
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) throw invalid(source, `${at}/min`, `min ${c.min} > max ${c.max}`);
    const m = item.measurement ? MEASUREMENTS[item.measurement] : undefined;
    const min = c.min ?? m?.min;
    const max = c.max ?? m?.max;
    return Object.freeze({ di: item.di, item, refused: c.refused ?? false, ...(c.refused || min === undefined ? {} : { min }), ...(c.refused || max === undefined ? {} : { max }) });
  });
  return Object.freeze({ ...p, reads: Object.freeze(reads), signature: Object.freeze(signature) });
}

/** gateway/profiles/dlt645/<id>.json, validated and cached; unknown ids throw E_PROFILE_UNKNOWN with `context.known`. */
export function loadDlt645Profile(id: string): Dlt645Profile {
  const cached = cache.get(id);
  if (cached) return cached;
  const known = listDlt645Profiles();
  if (!known.includes(id))
    throw new PrepaidError('E_PROFILE_UNKNOWN', `no DL/T 645 profile "${id}"; known: ${known.join(', ') || '(none)'}`, { id, known });
  const source = `${id}.json`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(new URL(source, DLT645_PROFILES_DIR_URL), 'utf8'));
  } catch (e) {
    throw new PrepaidError('E_PROFILE_INVALID', `${source}: not valid JSON: ${(e as Error).message}`, { path: '/', source }, { cause: e });
  }
  const profile = validateDlt645Profile(raw, source);
  if (profile.id !== id) throw invalid(source, '/id', `is "${profile.id}" but the file is named for "${id}"`);
  cache.set(id, profile);
  return profile;
}
