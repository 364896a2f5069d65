/**
 * Remote configuration, the pure part: the document a `config` command carries or patches, its
 * hash, the JSON merge patch (RFC 7396) and what a change touches. The document is the
 * configuration as written (YAML parsed to JSON, before defaults), so its hash is the same on the
 * head end, which holds the same document, and in the gateway.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type JsonValue } from '../commands/canonical-json.js';

export type ConfigDocument = { [key: string]: JsonValue };

/** `sha256:` + hex of the SHA-256 of the RFC 8785 canonical JSON of the document. */
export function configHash(doc: ConfigDocument): string {
  return `sha256:${createHash('sha256').update(canonicalJson(doc), 'utf8').digest('hex')}`;
}

export const CONFIG_HASH = /^sha256:[0-9a-f]{64}$/;

/**
 * RFC 7396 JSON merge patch: an object patch merges member by member, `null` removes a member,
 * anything else (arrays included) replaces the target whole. Returns a new value; `target` is not changed.
 */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return patch;
  const out: { [k: string]: JsonValue } = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sections a running gateway cannot swap: the file and lock it owns, the id in every topic, the boards it opened. */
export const RESTART_ONLY = ['storage', 'gateway.id', 'boards', 'sparkplug'] as const;

/** What a new configuration changes, section by section, in the parsed (defaulted) form. */
export interface ConfigChanges {
  /** Restart-only sections that differ (the command is refused). */
  restartOnly: string[];
  mqtt: boolean;
  acquisition: boolean;
  credit: boolean;
  meterClocks: boolean;
  console: boolean;
  log: boolean;
  /** Frozen readings: which meters, their zone and billing day. */
  frozen: boolean;
  anomaly: boolean;
  rating: boolean;
}

type Sections = object;

export function configChanges(before: Sections, after: Sections): ConfigChanges {
  const diff = (...keys: string[]): boolean => keys.some((k) => !same(pick(before, k), pick(after, k)));
  return {
    restartOnly: RESTART_ONLY.filter((k) => diff(k)),
    mqtt: diff('mqtt'),
    acquisition: diff('buses', 'meters'),
    // Relay drivers hold their bus's master; accounts name meters; tariffs use the time zone.
    credit: diff('credit', 'buses', 'meters', 'gateway.timezone'),
    meterClocks: diff('meterClocks', 'buses', 'meters', 'gateway.timezone'),
    console: diff('console'),
    log: diff('log'),
    frozen: diff('meters', 'gateway.timezone', 'gateway.billingDay', 'credit'),
    anomaly: diff('anomaly', 'meters', 'gateway.timezone'),
    rating: diff('rating'),
  };
}

function pick(o: object, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
}

/** Deep equality of JSON-like values (key order ignored). */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => same(x, (b as unknown[])[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
