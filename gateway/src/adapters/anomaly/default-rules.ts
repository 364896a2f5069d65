/** The shipped rule file (gateway/schema/anomaly-rules.json): the rules of an anomaly: section without rules:. */
import { readFileSync } from 'node:fs';

let cached: readonly unknown[] | undefined;

export function defaultAnomalyRules(): readonly unknown[] {
  cached ??= (JSON.parse(readFileSync(new URL('../../../../schema/anomaly-rules.json', import.meta.url), 'utf8')) as { rules: unknown[] }).rules;
  return cached;
}
