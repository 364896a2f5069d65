/** Profile text (JSON or YAML) -> validated MeterProfile. */
import { parse as parseYaml, YAMLError } from 'yaml';
import { PrepaidError } from '../errors.js';
import type { MeterProfile } from './types.js';
import { validateProfile } from './validate.js';

function syntaxError(message: string, source: string | undefined, offset: number | undefined, cause: unknown): PrepaidError {
  const context = { path: '', ...(offset !== undefined ? { offset } : {}), ...(source ? { source } : {}) };
  return new PrepaidError('E_PROFILE_INVALID', `${source ? `${source}: ` : ''}not valid JSON/YAML: ${message}`, context, { cause });
}

function parseText(text: string, source: string | undefined): unknown {
  const looksJson = /^\s*[{[]/.test(text);
  try {
    if (looksJson) return JSON.parse(text);
    // core schema: YAML 1.2 (0x1c is a number, 'no' is a string); duplicate keys are errors;
    // logLevel 'error' keeps YAML warnings off the console ('silent' would also drop the errors)
    return parseYaml(text, { schema: 'core', uniqueKeys: true, merge: false, maxAliasCount: 100, logLevel: 'error' });
  } catch (e) {
    if (e instanceof YAMLError) throw syntaxError(e.message, source, e.pos[0], e);
    const message = e instanceof Error ? e.message : String(e);
    const at = /position (\d+)/.exec(message);
    throw syntaxError(message, source, at ? Number(at[1]) : undefined, e);
  }
}

/** Parse a profile written as JSON (text starting with '{') or YAML, then validateProfile it. */
export function parseProfile(text: string, source?: string): MeterProfile {
  if (typeof text !== 'string') throw new PrepaidError('E_PROFILE_INVALID', 'profile text must be a string', { path: '' });
  return validateProfile(parseText(text, source), source);
}
