/**
 * Loyalty points (policy `points`): a top-up made on time — while the account still had credit
 * (balance at least `minBalance`) and no emergency credit in use — earns `perTopUp` points; a
 * signed `points-redeem` command turns points into credit at `subunitsPerPoint` each. The points
 * live in the account's state, so earning and spending are booked in the same ledger transaction
 * as the top-up or the credit they go with: exactly once, and never below zero.
 */
import type { AccountState, NewEntry, Policy } from '../credit/contracts.js';

export type PointsRule = NonNullable<Policy['points']>;

/** Points a top-up earns given the account before it. */
export function pointsEarned(rule: PointsRule | null | undefined, before: AccountState, balanceBefore: number): number {
  if (!rule) return 0;
  const onTime = balanceBefore >= rule.minBalance && !before.emergency.inUse && before.supply === 'connected';
  return onTime ? rule.perTopUp : 0;
}

export type Redemption = { ok: true; entry: NewEntry; state: AccountState } | { ok: false; message: string };

/** Spend `points` for credit: one adjustment entry and the state with fewer points. */
export function redeemPoints(rule: PointsRule | null | undefined, state: AccountState, points: number, ts: number, cause: Record<string, unknown>): Redemption {
  if (!rule) return { ok: false, message: "points: the account's policy has no points rule" };
  const have = state.points ?? 0;
  if (!Number.isSafeInteger(points) || points <= 0) return { ok: false, message: `points: must be a positive integer, got ${points}` };
  if (points > have) return { ok: false, message: `points: ${points} asked, the account has ${have}` };
  const amount = points * rule.subunitsPerPoint;
  return { ok: true, entry: { kind: 'adjustment', amount, ts, cause: { reason: 'points-redeem', points, subunitsPerPoint: rule.subunitsPerPoint, ...cause } }, state: { ...state, points: have - points } };
}
