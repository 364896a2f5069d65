/**
 * `meters[].relay` in the gateway config: which relay enforces a meter's credit. Checked against
 * schema/relay.schema.json (the lead merges it into the gateway config schema).
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
// schema/relay.schema.json, compiled ahead of time (scripts/compile-schemas.mjs; start-up time).
import validate from '#schema/relay';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { RelayConfig } from '../../core/config/gateway-config.js';

/** Compiles to gateway/dist/src/adapters/relay/, so the schema is four levels up. */
export const RELAY_SCHEMA_URL = new URL('../../../../schema/relay.schema.json', import.meta.url);
export const relaySchema = JSON.parse(readFileSync(RELAY_SCHEMA_URL, 'utf8')) as Record<string, unknown>;

function where(base: string, e: ErrorObject): string {
  const parts = e.instancePath.split('/').slice(1);
  if (e.keyword === 'additionalProperties') parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
  if (e.keyword === 'required') parts.push(String((e.params as { missingProperty: string }).missingProperty));
  return [base, ...parts].join('.');
}

/** Validate (and fill defaults into a copy of) one meter's `relay`; `path` names it in errors. */
export function checkRelayConfig(value: unknown, path = 'relay'): RelayConfig {
  const copy = structuredClone(value ?? { type: 'meter' });
  if (validate(copy)) return Object.freeze(copy as RelayConfig);
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf');
  const first = errors[0];
  const bad = errors.map((e) => ({ path: where(path, e), message: e.message ?? 'is invalid' }));
  throw new PrepaidError('E_CONFIG_INVALID', first ? `${where(path, first)}: ${first.message}` : `${path}: is invalid`, { path: bad[0]?.path ?? path, errors: bad });
}
