/**
 * A customer-class policy is data: validated once by schema/policy.schema.json (unknown keys are
 * errors, defaults filled) plus the rules a schema cannot say, then frozen. Every error is
 * PrepaidError E_TARIFF_INVALID with context.path naming the first bad field.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
// schema/policy.schema.json, compiled ahead of time (scripts/compile-schemas.mjs; start-up time).
import validator from '#schema/policy';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { Policy } from '../credit/contracts.js';

const validate = (): ValidateFunction => validator;

export interface Problem {
  path: string;
  message: string;
}

export function join(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/** `/friendly/windows/2/from` -> `friendly.windows[2].from`, under the prefix `at`. */
function pointerToPath(at: string, pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<string>((acc, p) => join(acc, /^\d+$/.test(p) ? Number(p) : p), at);
}

export function describe(at: string, e: ErrorObject): Problem {
  const base = pointerToPath(at, e.instancePath);
  if (e.keyword === 'additionalProperties') return { path: join(base, (e.params as { additionalProperty: string }).additionalProperty), message: 'unknown key' };
  if (e.keyword === 'required') return { path: join(base, (e.params as { missingProperty: string }).missingProperty), message: 'is required' };
  if (e.keyword === 'enum') return { path: base, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  return { path: base || '(root)', message: e.message ?? 'is invalid' };
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRealDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

/** Rules a schema cannot say. */
function semantic(p: Policy, at: string): Problem[] {
  const problems: Problem[] = [];
  const th = p.lowCreditThresholds;
  for (let i = 1; i < th.length; i++) {
    if (th[i]! >= th[i - 1]!) problems.push({ path: join(join(at, 'lowCreditThresholds'), i), message: `must be below lowCreditThresholds[${i - 1}] (${th[i - 1]}): thresholds are strictly descending` });
  }
  p.friendly.windows.forEach((w, i) => {
    for (const k of ['from', 'to'] as const) {
      if (!HHMM.test(w[k])) problems.push({ path: join(join(join(at, 'friendly.windows'), i), k), message: `must be local time HH:MM (00:00..23:59), got "${w[k]}"` });
    }
  });
  p.friendly.holidays.forEach((h, i) => {
    if (!isRealDate(h)) problems.push({ path: join(join(at, 'friendly.holidays'), i), message: `must be a calendar date YYYY-MM-DD, got "${h}"` });
  });
  return problems;
}

function fail(at: string, problems: Problem[]): never {
  const first = problems[0]!;
  const text = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
  throw new PrepaidError('E_TARIFF_INVALID', `${at || 'policy'}: invalid policy\n${text}`, { path: first.path, problems });
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Validate a policy (already parsed from JSON or YAML) and return it with defaults filled, frozen.
 * `at` is where the policy sits in its document (e.g. `classes.residential.policy`); error paths
 * start with it. The input is not modified.
 */
export function parsePolicy(raw: unknown, at = ''): Policy {
  const copy: unknown = raw === undefined ? undefined : structuredClone(raw);
  const v = validate();
  if (!v(copy)) fail(at, (v.errors ?? []).map((e) => describe(at, e)));
  const policy = copy as Policy;
  const problems = semantic(policy, at);
  if (problems.length) fail(at, problems);
  return deepFreeze(policy);
}
