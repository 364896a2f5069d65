/**
 * The credit score: base + the points of each factor (weight x faded count, rounded, capped),
 * clamped to [min, max]. Explainable: every factor is listed with its counts and points, and the
 * points add up to score - base (before the clamp).
 */
import { advance, DAY_MS } from './facts.js';
import { FACTORS, type AccountFacts, type FactorPoints, type ScoreRules } from './types.js';

export function halfLifeMs(rules: ScoreRules): number {
  return rules.halfLifeDays * DAY_MS;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The facts faded to `now` (a copy; the stored facts stay as of their last row). */
export function factsAt(f: AccountFacts, now: number, rules: ScoreRules): AccountFacts {
  const c: AccountFacts = { ...f, weighted: { ...f.weighted }, total: { ...f.total }, usage: f.usage };
  advance(c, now, halfLifeMs(rules));
  return c;
}

export function scoreFacts(f: AccountFacts, rules: ScoreRules): { score: number; factors: FactorPoints[] } {
  let sum = 0;
  const factors: FactorPoints[] = [];
  for (const factor of FACTORS) {
    const weight = rules.weights[factor] ?? 0;
    let points = Math.round(weight * f.weighted[factor]);
    const cap = rules.caps[factor];
    if (cap !== undefined) points = Math.max(-cap, Math.min(cap, points));
    // -0 from Math.round of a small negative number reads badly in JSON and tables.
    points = points === 0 ? 0 : points;
    sum += points;
    factors.push({ factor, total: round2(f.total[factor]), weighted: round2(f.weighted[factor]), weight, points });
  }
  return { score: Math.max(rules.min, Math.min(rules.max, rules.base + sum)), factors };
}
