/** The per-currency default top-up limits (schema/top-up-limits.json) bound to the pure rule in core/commands/top-up-limit.ts. */
import { readFileSync } from 'node:fs';
import { topUpLimitOf, type TopUpLimit, type TopUpLimitFacts } from '../../core/commands/top-up-limit.js';

export type { TopUpLimit } from '../../core/commands/top-up-limit.js';

const TABLE = JSON.parse(readFileSync(new URL('../../../../schema/top-up-limits.json', import.meta.url), 'utf8')) as { units: Record<string, number> };

export function topUpLimit(o: TopUpLimitFacts): TopUpLimit | undefined {
  return topUpLimitOf(o, TABLE.units);
}

export function defaultTopUpUnits(): Readonly<Record<string, number>> {
  return TABLE.units;
}
