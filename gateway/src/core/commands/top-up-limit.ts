/**
 * The largest top-up one command may carry for an account, most specific first:
 *   1. the customer class's policy `maxTopUp` (sub-units),
 *   2. the site's `credit.commands.maxTopUp` (sub-units),
 *   3. the default for the account's currency (or energy) in schema/top-up-limits.json (`defaults`,
 *      read by adapters/commands/top-up-limit.ts), in whole units times the tariff's subunitsPerUnit.
 */
export interface TopUpLimit {
  /** Sub-units. */
  amount: number;
  /** Where it comes from, for the rejection message: `policy residential`, `credit.commands.maxTopUp`, `default for EUR`. */
  source: string;
}

export interface TopUpLimitFacts {
  /** The currency code or 'energy'. */
  unit: string | undefined;
  subunitsPerUnit: number;
  policy?: { id: string; maxTopUp?: number };
  configured?: number;
}

/** Undefined when nothing sets a limit (an unlisted currency). */
export function topUpLimitOf(o: TopUpLimitFacts, defaults: Readonly<Record<string, number>>): TopUpLimit | undefined {
  if (o.policy?.maxTopUp !== undefined) return { amount: o.policy.maxTopUp, source: `policy ${o.policy.id}` };
  if (o.configured !== undefined) return { amount: o.configured, source: 'credit.commands.maxTopUp' };
  const units = o.unit === undefined ? undefined : defaults[o.unit];
  if (units === undefined) return undefined;
  return { amount: units * o.subunitsPerUnit, source: `default for ${o.unit} (${units} ${o.unit === 'energy' ? 'kWh' : o.unit})` };
}
