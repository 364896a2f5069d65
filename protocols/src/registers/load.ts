/** The shipped profiles in protocols/profiles/, read on demand and cached. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { PrepaidError } from '../errors.js';
import { parseProfile } from './parse.js';
import { show } from './show.js';
import type { MeterProfile } from './types.js';

/** Compiles to protocols/dist/src/registers/, so the profiles are three levels up. */
export const PROFILES_DIR_URL = new URL('../../../profiles/', import.meta.url);

const EXTENSIONS = ['.json', '.yaml', '.yml'] as const;
const FILE_NAME = /^([a-z0-9][a-z0-9-]*)\.(json|ya?ml)$/;
const cache = new Map<string, MeterProfile>();

/** Ids of the shipped profiles (file names without extension), sorted. */
export function listProfiles(): string[] {
  let files: string[];
  try {
    files = readdirSync(PROFILES_DIR_URL);
  } catch {
    return [];
  }
  const ids = new Set(files.flatMap((f) => FILE_NAME.exec(f)?.[1] ?? []));
  return [...ids].sort();
}

/**
 * Load protocols/profiles/<id>.json (else .yaml / .yml), validated and cached.
 * Unknown ids throw E_PROFILE_UNKNOWN with context.known listing the ids there are.
 */
export function loadProfile(id: string): MeterProfile {
  const cached = cache.get(id);
  if (cached) return cached;
  const known = listProfiles();
  if (!known.includes(id)) {
    throw new PrepaidError('E_PROFILE_UNKNOWN', `no meter profile ${show(id)}; known profiles: ${known.join(', ') || '(none)'}`, { id, known });
  }
  const file = EXTENSIONS.map((ext) => new URL(`${id}${ext}`, PROFILES_DIR_URL)).find((url) => existsSync(url))!;
  const name = file.pathname.slice(file.pathname.lastIndexOf('/') + 1);
  const profile = parseProfile(readFileSync(file, 'utf8'), name);
  if (profile.id !== id) throw new PrepaidError('E_PROFILE_INVALID', `${name}: /id is "${profile.id}" but the file is named for "${id}"`, { path: '/id', source: name });
  cache.set(id, profile);
  return profile;
}

const revisionCache = new Map<string, MeterProfile>();

/**
 * What revision `revision` of a shipped map adds to it: protocols/profiles/revisions/<id>-<revision>.json,
 * validated like a profile and cached (not listed by listProfiles, never scanned for). Unknown
 * revisions throw E_PROFILE_UNKNOWN.
 */
export function loadProfileRevision(id: string, revision: number): MeterProfile {
  const key = `${id}-${revision}`;
  const cached = revisionCache.get(key);
  if (cached) return cached;
  const file = new URL(`revisions/${key}.json`, PROFILES_DIR_URL);
  if (!FILE_NAME.test(`${key}.json`) || !existsSync(file)) throw new PrepaidError('E_PROFILE_UNKNOWN', `no revision ${revision} of meter profile ${show(id)}`, { id, revision });
  const profile = parseProfile(readFileSync(file, 'utf8'), `revisions/${key}.json`);
  if (profile.id !== key) throw new PrepaidError('E_PROFILE_INVALID', `revisions/${key}.json: /id is "${profile.id}" but the file is named for "${key}"`, { path: '/id', source: key });
  revisionCache.set(key, profile);
  return profile;
}
