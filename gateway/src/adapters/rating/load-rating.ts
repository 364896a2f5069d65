/**
 * Reading the rating file (YAML or JSON) and its message templates: en and zh-CN are built in
 * (gateway/templates/reminders/), a file may add languages or replace them.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { PrepaidError } from '@prepaid-edge/protocols';
import { parseRating, type RatingRules, type ReminderKind, type Templates } from '../../core/rating/index.js';

const BUILT_IN = fileURLToPath(new URL('../../../../templates/reminders/', import.meta.url));
const KINDS: readonly ReminderKind[] = ['days-left', 'arrears', 'disconnect-notice', 'topup-receipt'];

export interface RatingSetup {
  rules: RatingRules;
  templates: Record<string, Templates>;
  /** The webhook's HMAC key, when a webhook is configured. */
  secret?: Buffer;
  file: string;
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new PrepaidError('E_CONFIG_INVALID', `${what}: cannot read ${file}: ${(e as Error).message}`, { path: what, source: file }, { cause: e });
  }
}

function parseTemplates(file: string, at: string): Templates {
  const raw = YAML.parse(read(file, at)) as Record<string, unknown> | null;
  for (const k of KINDS) {
    if (typeof raw?.[k] !== 'string') throw new PrepaidError('E_CONFIG_INVALID', `${at}: ${file} has no "${k}" template (needs ${KINDS.join(', ')})`, { path: at, source: file });
  }
  return Object.fromEntries(KINDS.map((k) => [k, raw![k] as string])) as Templates;
}

/** `at` is where the file is named in the config (error paths start with it). */
export function loadRating(file: string, at = 'rating.file'): RatingSetup {
  let raw: unknown;
  try {
    raw = YAML.parse(read(file, at));
  } catch (e) {
    if ((e as PrepaidError).code) throw e;
    throw new PrepaidError('E_CONFIG_INVALID', `${at}: ${file} is not valid YAML: ${(e as Error).message}`, { path: at, source: file }, { cause: e });
  }
  const rules = parseRating(raw, 'rating');
  const base = dirname(file);
  const rel = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const templates: Record<string, Templates> = {
    en: parseTemplates(`${BUILT_IN}en.yaml`, 'built-in templates'),
    'zh-CN': parseTemplates(`${BUILT_IN}zh-CN.yaml`, 'built-in templates'),
  };
  for (const [lang, path] of Object.entries(rules.reminders.templates)) templates[lang] = parseTemplates(rel(path), `rating.reminders.templates.${lang}`);
  for (const lang of [rules.reminders.language, ...Object.values(rules.reminders.languages)]) {
    if (!templates[lang]) throw new PrepaidError('E_CONFIG_INVALID', `rating.reminders: no templates for language "${lang}" (have ${Object.keys(templates).join(', ')})`, { path: 'rating.reminders.language', source: file });
  }
  const hook = rules.reminders.webhook;
  const secret = hook ? Buffer.from(read(rel(hook.secretFile), 'rating.reminders.webhook.secretFile').trim(), 'utf8') : undefined;
  if (secret && secret.length < 16) throw new PrepaidError('E_CONFIG_INVALID', 'rating.reminders.webhook.secretFile: the key must be at least 16 bytes', { path: 'rating.reminders.webhook.secretFile', source: file });
  return { rules, templates, ...(secret ? { secret } : {}), file };
}
