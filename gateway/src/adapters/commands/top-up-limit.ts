/**
 * The largest top-up one command may carry for an account, most specific first:
 *   1. the customer class's policy `maxTopUp` (sub-units),
 *   2. the site's `credit.commands.maxTopUp` (sub-units),
 *   3. the default for the account's currency (or energy) in schema/top-up-limits.json, in whole
 *      units times the tariff's subunitsPerUnit.
 */
import { readFileSync } from 'node:fs';

const TABLE = JSON.parse(readFileSync(new URL('../../../../schema/top-up-limits.json', import.meta.url), 'utf8')) as { units: Record<string, number> };

export interface TopUpLimit {
  /** Sub-units. */
  amount: number;
  /** Where it comes from, for the rejection message: `policy residential`, `credit.commands.maxTopUp`, `default for EUR`. */
  source: string;
}

/** `unit` is the currency code or 'energy'. Undefined when nothing sets a limit (an unlisted currency). */
export function topUpLimit(o: { unit: string | undefined; subunitsPerUnit: number; policy?: { id: string; maxTopUp?: number }; configured?: number }): TopUpLimit | undefined {
  if (o.policy?.maxTopUp !== undefined) return { amount: o.policy.maxTopUp, source: `policy ${o.policy.id}` };
  if (o.configured !== undefined) return { amount: o.configured, source: 'credit.commands.maxTopUp' };
  const units = o.unit === undefined ? undefined : TABLE.units[o.unit];
  if (units === undefined) return undefined;
  return { amount: units * o.subunitsPerUnit, source: `default for ${o.unit} (${units} ${o.unit === 'energy' ? 'kWh' : o.unit})` };
}

export function defaultTopUpUnits(): Readonly<Record<string, number>> {
  return TABLE.units;
}
