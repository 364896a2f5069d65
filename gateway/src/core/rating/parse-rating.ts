/**
 * The rating file (weights, class rules, bands, reminders) is data: validated by
 * schema/rating.schema.json (unknown keys are errors, defaults filled) plus the rules a schema
 * cannot say, then frozen. Errors are PrepaidError E_CONFIG_INVALID naming the first bad field.
 * Which band policies exist is the config loader's check (it knows credit.policies).
 */
import validate from '#schema/rating';
import { PrepaidError } from '@prepaid-edge/protocols';
import { deepFreeze, describe, join, type Problem } from '../policy/parse-policy.js';
import type { RatingRules } from './types.js';

function semantic(r: RatingRules, at: string): Problem[] {
  const problems: Problem[] = [];
  const names = new Set<string>();
  r.classes.forEach((c, i) => {
    const here = join(join(at, 'classes'), i);
    if (names.has(c.name)) problems.push({ path: join(here, 'name'), message: `class "${c.name}" is named twice` });
    names.add(c.name);
    if (!r.bands[c.band]) problems.push({ path: join(here, 'band'), message: `no band "${c.band}" (bands: ${Object.keys(r.bands).join(', ')})` });
  });
  const last = r.classes[r.classes.length - 1]!;
  if (last.minScore !== undefined || last.minMonthlyUse !== undefined || last.contracts !== undefined) {
    problems.push({ path: join(join(at, 'classes'), r.classes.length - 1), message: 'the last class must have no conditions (minScore, minMonthlyUse, contracts): it takes everyone the others do not' });
  }
  if (r.score.min > r.score.max) problems.push({ path: join(at, 'score.min'), message: `must be <= score.max (${r.score.max})` });
  const w = r.reminders.webhook;
  if (w && w.retryMaxMs < w.retryMinMs) problems.push({ path: join(at, 'reminders.webhook.retryMaxMs'), message: 'must be >= retryMinMs' });
  return problems;
}

export function parseRating(raw: unknown, at = ''): RatingRules {
  const copy: unknown = raw === undefined ? undefined : structuredClone(raw);
  let problems: Problem[] = [];
  if (!validate(copy)) problems = (validate.errors ?? []).map((e) => describe(at, e));
  else problems = semantic(copy as RatingRules, at);
  if (problems.length) {
    const text = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
    throw new PrepaidError('E_CONFIG_INVALID', `${at || 'rating'}: invalid rating rules\n${text}`, { path: problems[0]!.path, problems });
  }
  return deepFreeze(copy as RatingRules);
}
