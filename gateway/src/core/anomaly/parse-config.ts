/**
 * The anomaly section (or rule file) is data: validated once by schema/anomaly.schema.json
 * (unknown keys are errors, defaults filled) plus the rules a schema cannot say, then frozen.
 * Every error is PrepaidError E_CONFIG_INVALID with context.problems, each path starting with `at`.
 */
import type { ErrorObject } from 'ajv';
// schema/anomaly.schema.json, compiled ahead of time (scripts/compile-schemas.mjs).
import validate from '#schema/anomaly';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { AnomalyConfig, AnomalyRule } from './types.js';

interface Problem {
  path: string;
  message: string;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

function pointerToPath(at: string, pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<string>((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), at);
}

function describe(at: string, e: ErrorObject): Problem {
  const base = pointerToPath(at, e.instancePath);
  const join = (k: string): string => (base ? `${base}.${k}` : k);
  if (e.keyword === 'additionalProperties') return { path: join((e.params as { additionalProperty: string }).additionalProperty), message: 'unknown key' };
  if (e.keyword === 'required') return { path: join((e.params as { missingProperty: string }).missingProperty), message: 'is required' };
  if (e.keyword === 'enum') return { path: base, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  return { path: base || '(root)', message: e.message ?? 'is invalid' };
}

/** A clear threshold on the wrong side of its raise threshold would raise and clear at once. */
function clearSide(r: AnomalyRule): string | undefined {
  switch (r.kind) {
    case 'sudden-change':
      if (r.direction === 'rise' ? r.clearRatio > r.ratio : r.clearRatio < r.ratio) return `clearRatio must be on the normal side of ratio (${r.direction})`;
      if (r.direction === 'rise' ? r.ratio <= 1 : r.ratio >= 1) return `ratio must be ${r.direction === 'rise' ? 'above' : 'below'} 1 for a ${r.direction}`;
      return undefined;
    case 'night-use':
      if (r.ratio > 1 ? r.clearRatio > r.ratio : r.clearRatio < r.ratio) return 'clearRatio must be on the normal side of ratio';
      if (r.ratio === 1) return 'ratio must not be 1';
      return undefined;
    case 'voltage':
      if (r.direction === 'sag' ? r.clearPct < r.pct : r.clearPct > r.pct) return `clearPct must be on the normal side of pct (${r.direction})`;
      return undefined;
    case 'overload':
    case 'energy-balance': {
      const raise = r.kind === 'overload' ? r.pct : r.lossPct;
      return r.clearPct > raise ? `clearPct must not be above ${r.kind === 'overload' ? 'pct' : 'lossPct'}` : undefined;
    }
    default:
      return undefined;
  }
}

function semantic(c: AnomalyConfig, at: string, meterIds?: ReadonlySet<string>): Problem[] {
  const problems: Problem[] = [];
  const p = (rest: string): string => (at ? `${at}.${rest}` : rest);
  const seen = new Set<string>();
  c.rules.forEach((r, i) => {
    if (seen.has(r.id)) problems.push({ path: p(`rules[${i}].id`), message: `duplicate rule id "${r.id}"` });
    seen.add(r.id);
    const side = clearSide(r);
    if (side) problems.push({ path: p(`rules[${i}].${'clearRatio' in r ? 'clearRatio' : 'clearPct'}`), message: side });
    if (r.kind === 'night-use')
      for (const k of ['from', 'to'] as const) if (!HHMM.test(r[k])) problems.push({ path: p(`rules[${i}].${k}`), message: `must be local time HH:MM, got "${r[k]}"` });
  });
  const fed = new Map<string, string>();
  c.feeders.forEach((f, i) => {
    if (f.subMeters.includes(f.meter)) problems.push({ path: p(`feeders[${i}].subMeters`), message: `the feeder ${f.meter} cannot be its own sub-meter` });
    for (const m of f.subMeters) {
      const other = fed.get(m);
      if (other !== undefined) problems.push({ path: p(`feeders[${i}].subMeters`), message: `${m} is already a sub-meter of ${other}` });
      fed.set(m, f.meter);
    }
  });
  if (meterIds) {
    const unknown = (id: string, path: string): void => {
      if (!meterIds.has(id)) problems.push({ path: p(path), message: `unknown meter "${id}" (not in meters:)` });
    };
    for (const id of Object.keys(c.meters)) unknown(id, `meters.${id}`);
    c.feeders.forEach((f, i) => {
      unknown(f.meter, `feeders[${i}].meter`);
      for (const m of f.subMeters) unknown(m, `feeders[${i}].subMeters`);
    });
  }
  return problems;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Validate an anomaly section; `defaults` are the rules used when it has none (the shipped rule
 * file, already parsed by the caller). `meterIds`: the configured meters, when known.
 */
export function parseAnomalyConfig(raw: unknown, opts: { at?: string; defaults?: readonly unknown[]; meterIds?: ReadonlySet<string> } = {}): AnomalyConfig {
  const at = opts.at ?? '';
  const copy = (raw === undefined || raw === null ? {} : structuredClone(raw)) as { rules?: unknown[] };
  if (copy && typeof copy === 'object' && !Array.isArray(copy) && copy.rules === undefined && opts.defaults) copy.rules = structuredClone([...opts.defaults]);
  const problems: Problem[] = [];
  if (!validate(copy)) problems.push(...(validate.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => describe(at, e)));
  else {
    const c = copy as unknown as AnomalyConfig;
    c.rules ??= [];
    // defaults behind a $ref are not filled by the schema
    for (const r of c.rules) {
      r.severity ??= 'warning';
      r.raiseAfter ??= 1;
      r.clearAfter ??= 1;
    }
    for (const m of Object.values(c.meters)) {
      m.exportAllowed ??= false;
      m.phases ??= 1;
    }
    problems.push(...semantic(c, at, opts.meterIds));
  }
  if (problems.length) {
    const text = problems.map((q) => `  ${q.path}: ${q.message}`).join('\n');
    throw new PrepaidError('E_CONFIG_INVALID', `${at || 'anomaly'}: invalid anomaly rules\n${text}`, { path: problems[0]!.path, problems });
  }
  return deepFreeze(copy as unknown as AnomalyConfig);
}
