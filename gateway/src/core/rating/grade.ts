/** Customer classes from customer value: the first class rule whose conditions all hold. */
import type { Band, ClassRule, RatingRules } from './types.js';

export interface GradeInput {
  score: number;
  monthlyUse: number;
  /** The account's customer class in the credit config (its contract). */
  contract: string;
}

export function gradeOf(rules: Pick<RatingRules, 'classes' | 'bands'>, input: GradeInput): { rule: ClassRule; band: Band } {
  for (const rule of rules.classes) {
    if (rule.minScore !== undefined && input.score < rule.minScore) continue;
    if (rule.minMonthlyUse !== undefined && input.monthlyUse < rule.minMonthlyUse) continue;
    if (rule.contracts && !rule.contracts.includes(input.contract)) continue;
    return { rule, band: rules.bands[rule.band]! };
  }
  // parseRating refuses rules whose last class has conditions, so this is never reached.
  const last = rules.classes[rules.classes.length - 1]!;
  return { rule: last, band: rules.bands[last.band]! };
}
