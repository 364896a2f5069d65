import { PrepaidError } from '@prepaid-edge/protocols';
import type { AccountState, NewEntry } from '../credit/contracts.js';

export interface TopUpAllocation {
  /** Book in this order, in one transaction with `state`. */
  entries: NewEntry[];
  state: AccountState;
  /** Balance after the entries. */
  balance: number;
}

/**
 * A top-up: the +amount entry, then emergency credit repaid first, capped at the top-up amount so
 * a top-up never lowers the balance (a small top-up repays part, the rest stays outstanding and
 * the next top-up repays it). Friendly-period debt needs no entry: that energy was booked as
 * consumption, so it is already in the (negative) balance and the top-up fills it implicitly.
 */
export function allocateTopUp(state: AccountState, balance: number, amount: number, ts: number, cause: Record<string, unknown>): TopUpAllocation {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new PrepaidError('E_COMMAND_AMOUNT', `top-up amount must be a positive integer of sub-units, got ${amount}`, { path: 'amount', amount });
  }
  const entries: NewEntry[] = [{ kind: 'topup', amount, ts, cause }];
  const outstanding = state.emergency.outstanding;
  const repay = Math.min(outstanding, amount);
  if (repay > 0) entries.push({ kind: 'emergency-credit-repaid', amount: -repay, ts, cause: { ...cause, outstandingBefore: outstanding } });
  const left = outstanding - repay;
  return {
    entries,
    state: { ...state, emergency: { ...state.emergency, outstanding: left, inUse: left > 0 } },
    balance: balance + amount - repay,
  };
}
