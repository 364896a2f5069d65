/**
 * The config's `rating: { file }`: the file resolved against the config's folder, loaded and
 * checked at config time (so `config check` names its problems), and every band's policy found
 * in credit.policies.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { isPrepaidError } from '@prepaid-edge/protocols';
import { loadRating } from '../../adapters/rating/load-rating.js';
import type { CreditConfig } from '../../core/config/gateway-config.js';

export interface RatingProblem {
  path: string;
  message: string;
}

export function checkRating(ref: { file: string }, credit: CreditConfig | undefined, source: string): { file: string; problems: RatingProblem[] } {
  const file = isAbsolute(ref.file) ? ref.file : resolve(dirname(source), ref.file);
  if (!credit) return { file, problems: [{ path: 'rating', message: 'needs a credit: section (the accounts it rates)' }] };
  try {
    const { rules } = loadRating(file);
    const problems: RatingProblem[] = [];
    for (const [name, band] of Object.entries(rules.bands)) {
      if (!credit.policies[band.policy]) problems.push({ path: `rating.bands.${name}.policy`, message: `no policy "${band.policy}" in credit.policies (${Object.keys(credit.policies).join(', ')})` });
    }
    return { file, problems };
  } catch (e) {
    if (!isPrepaidError(e)) throw e;
    const inner = e.context?.problems as RatingProblem[] | undefined;
    return { file, problems: inner ?? [{ path: String(e.context?.path ?? 'rating.file'), message: e.message }] };
  }
}
