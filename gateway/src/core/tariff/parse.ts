/**
 * Tariffs are data: validated by schema/tariff.schema.json (unknown keys refused) and then by the rules
 * a schema cannot say. Every problem names the path of the bad field (`tariffs[1].tou[2].from`).
 */
import type { ErrorObject } from 'ajv';
// schema/tariff.schema.json (root and #/definitions/versions), compiled ahead of time (scripts/compile-schemas.mjs; start-up time).
import { validateTariff, validateVersions } from '#schema/tariff';
import YAML from 'yaml';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { Tariff, TariffVersion } from '../credit/contracts.js';
import { isCalendarDate } from './local-time.js';


interface Problem {
  path: string;
  message: string;
}

/** Join a path prefix and a sub-path: ('tariffs[1]', 'tou[2].from') → 'tariffs[1].tou[2].from'. */
function join(prefix: string, sub: string): string {
  if (!prefix) return sub;
  if (!sub) return prefix;
  return sub.startsWith('[') ? prefix + sub : `${prefix}.${sub}`;
}

/** `/tou/2/from` → `tou[2].from` */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(e: ErrorObject): Problem {
  const base = pointerToPath(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: join(base, (e.params as { additionalProperty: string }).additionalProperty), message: 'unknown key' };
    case 'required':
      return { path: join(base, (e.params as { missingProperty: string }).missingProperty), message: 'is required' };
    case 'enum':
      return { path: base, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern':
      if (/\.(from|to)$/.test(base)) return { path: base, message: 'must be local time "HH:MM" (00:00..23:59)' };
      return { path: base, message: `must match ${(e.params as { pattern: string }).pattern}` };
    default:
      return { path: base || '(root)', message: e.message ?? 'is invalid' };
  }
}

function fail(source: string, problems: Problem[]): never {
  const first = problems[0]!;
  const text = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
  const head = problems.length === 1 ? `${first.path}: ${first.message}` : `invalid tariff\n${text}`;
  throw new PrepaidError('E_TARIFF_INVALID', source ? `${source}: ${head}` : head, { path: first.path, source, problems });
}

/** Rules beyond the schema, on a schema-valid tariff. */
function semantic(t: Tariff, prefix: string, out: Problem[]): void {
  const at = (sub: string, message: string): void => void out.push({ path: join(prefix, sub), message });
  const ids = new Map<string, number>();
  t.periods.forEach((p, i) => {
    if (ids.has(p.id)) at(`periods[${i}].id`, `duplicate period id "${p.id}" (also periods[${ids.get(p.id)}])`);
    else ids.set(p.id, i);
  });
  const known = [...ids.keys()].join(', ');
  if (!ids.has(t.defaultPeriod)) at('defaultPeriod', `no period "${t.defaultPeriod}" (periods: ${known})`);
  t.tou.forEach((r, i) => {
    if (!ids.has(r.period)) at(`tou[${i}].period`, `no period "${r.period}" (periods: ${known})`);
  });
  if (t.creditUnit === 'currency' && !t.currency) at('currency', 'is required for a currency tariff (ISO 4217)');
  if (t.creditUnit === 'energy' && t.currency) at('currency', 'must be omitted for an energy tariff');
  if (t.tiers) {
    t.tiers.forEach((b, i) => {
      const wh = b.fromKwh * 1000;
      if (Math.abs(wh - Math.round(wh)) > 1e-6) at(`tiers[${i}].fromKwh`, 'must be a whole number of Wh (at most 3 decimals)');
      if (i === 0 && b.fromKwh !== 0) at('tiers[0].fromKwh', 'the first tier must start at 0');
      if (i === 0 && b.adderPerKwh !== 0) at('tiers[0].adderPerKwh', 'the first tier must have adder 0');
      const prev = t.tiers![i - 1];
      if (i > 0 && prev && !(b.fromKwh > prev.fromKwh)) at(`tiers[${i}].fromKwh`, `must be greater than tiers[${i - 1}].fromKwh (${prev.fromKwh})`);
    });
  }
  (t.holidays ?? []).forEach((d, i) => {
    if (!isCalendarDate(d)) at(`holidays[${i}]`, `"${d}" is not a calendar date`);
  });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Validate a tariff; returns a frozen copy. `path` prefixes every field path in errors (e.g.
 * 'tariffs[1]'); `source` (a file name) prefixes the message. Throws PrepaidError E_TARIFF_INVALID
 * with context.path = the first bad field and context.problems = all of them.
 */
export function parseTariff(raw: unknown, path = '', source = ''): Tariff {
  if (!validateTariff(raw)) fail(source, (validateTariff.errors ?? []).map(describe).map((p) => ({ ...p, path: join(path, p.path === '(root)' ? '' : p.path) || '(root)' })));
  const t = structuredClone(raw) as Tariff;
  const problems: Problem[] = [];
  semantic(t, path, problems);
  if (problems.length) fail(source, problems);
  return deepFreeze(t);
}

/** Validate a list of tariff versions (activeFrom strictly ascending); returns a frozen copy. */
export function parseTariffVersions(raw: unknown, path = 'versions', source = ''): TariffVersion[] {
  if (!validateVersions(raw)) {
    fail(source, (validateVersions.errors ?? []).map(describe).map((p) => ({ ...p, path: p.path === '(root)' ? path : join(path, p.path) })));
  }
  const list = structuredClone(raw) as TariffVersion[];
  const problems: Problem[] = [];
  list.forEach((v, i) => {
    const prev = list[i - 1];
    if (prev && !(v.activeFrom > prev.activeFrom)) problems.push({ path: `${path}[${i}].activeFrom`, message: `must be after ${path}[${i - 1}].activeFrom` });
    semantic(v.tariff, `${path}[${i}].tariff`, problems);
  });
  if (problems.length) fail(source, problems);
  return deepFreeze(list);
}

/** A tariff from YAML or JSON text (YAML is a superset of JSON); errors name `source` and the field. */
export function parseTariffText(text: string, source = 'tariff', path = ''): Tariff {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw new PrepaidError('E_TARIFF_INVALID', `${source}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`, { path: '(file)', source }, { cause: e });
  }
  return parseTariff(raw, path, source);
}
