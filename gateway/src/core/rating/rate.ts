/** One account's rating now: its facts faded to `now`, scored, graded. */
import { monthlyUse } from './facts.js';
import { gradeOf } from './grade.js';
import { factsAt, scoreFacts } from './score.js';
import type { AccountFacts, Rating, RatingRules } from './types.js';

export function rate(meter: string, contract: string, facts: AccountFacts, rules: RatingRules, now: number): Rating {
  const f = factsAt(facts, now, rules.score);
  const { score, factors } = scoreFacts(f, rules.score);
  const use = monthlyUse(f, now);
  const { rule } = gradeOf(rules, { score, monthlyUse: use, contract });
  return { meter, ts: now, score, grade: rule.name, band: rule.band, monthlyUse: use, factors };
}

/** One line per factor with points: "topUpAfterEmpty 3 x -5 = -15". */
export function explain(r: Rating): string[] {
  return r.factors.filter((f) => f.points !== 0 || f.total !== 0).map((f) => `${f.factor} ${f.weighted} x ${f.weight} = ${f.points}${f.weighted !== f.total ? ` (${f.total} in all, faded)` : ''}`);
}
