/**
 * The limits on money corrections (adjustment, refund, reverse, an account-open's opening balance),
 * set per customer class in the policy (`corrections`, schema/policy.schema.json). Pure: the caller
 * brings the balance, what was corrected today and whether a valid co-signature came.
 *
 * In this order (the first failing one is reported):
 *  1. the policy sets `corrections` (else no correction is accepted: E_COMMAND_LIMIT)
 *  2. amount > cosignAbove needs a co-signature (E_COMMAND_COSIGN)
 *  3. amount <= maxAmount, co-signed or not (E_COMMAND_LIMIT)
 *  4. daily corrections: today's total (sum of amounts, credits and debits alike) + amount <= maxPerDay (E_COMMAND_LIMIT)
 *  5. a debit leaves the balance >= -maxNegative (E_COMMAND_LIMIT)
 */
import type { CorrectionLimits } from '../credit/contracts.js';

export interface CorrectionFacts {
  /** Size of the correction, sub-units (> 0). */
  amount: number;
  /** Its effect on the balance: +amount (credit) or -amount (debit). */
  delta: number;
  /** The balance now (with charges priced but not yet booked). */
  balance: number;
  /** Sum of the amounts of the corrections applied on this account since local midnight; undefined: not counted (opening balance). */
  usedToday?: number;
  cosigned: boolean;
  policy: { id: string; corrections?: CorrectionLimits };
}

export interface LimitProblem {
  reason: 'E_COMMAND_LIMIT' | 'E_COMMAND_COSIGN';
  message: string;
}

export function correctionProblem(f: CorrectionFacts): LimitProblem | null {
  const l = f.policy.corrections;
  if (!l) return { reason: 'E_COMMAND_LIMIT', message: `amount: policy ${f.policy.id} sets no correction limits (policy.corrections): corrections are refused` };
  if (f.amount > l.cosignAbove && !f.cosigned) {
    return { reason: 'E_COMMAND_COSIGN', message: `cosig: ${f.amount} is above the co-sign amount of ${l.cosignAbove} (policy ${f.policy.id}): a second, different key must co-sign` };
  }
  if (f.amount > l.maxAmount) return { reason: 'E_COMMAND_LIMIT', message: `amount: ${f.amount} exceeds the largest correction of ${l.maxAmount} (policy ${f.policy.id})` };
  if (f.usedToday !== undefined && f.usedToday + f.amount > l.maxPerDay) {
    return { reason: 'E_COMMAND_LIMIT', message: `amount: ${f.amount} with ${f.usedToday} already corrected today exceeds the daily limit of ${l.maxPerDay} (policy ${f.policy.id})` };
  }
  const floor = -(l.maxNegative ?? 0);
  if (f.delta < 0 && f.balance + f.delta < floor) {
    return { reason: 'E_COMMAND_LIMIT', message: `amount: the debit would take the balance from ${f.balance} to ${f.balance + f.delta}, below ${floor} (policy ${f.policy.id} corrections.maxNegative)` };
  }
  return null;
}
