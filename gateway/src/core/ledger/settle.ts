import type { CommandOutcome } from '../credit/contracts.js';
import { bad, isPlainObject, toJson, type ValidPosting } from './validate.js';

/** A posting's running balances and its command's outcome, from the balance before it. */
export interface Settled {
  /** balance_after of each entry, in order. */
  after: number[];
  balance: number;
  /** The command's outcome as stored (only for a posting with a command). */
  outcomeJson?: string;
}

/** Decide a posting's balances and outcome; both ledger write paths (one at a time, and batched) use this. */
export function settle(v: ValidPosting, before: number): Settled {
  let balance = before;
  const after = v.entries.map((e, i) => {
    balance += e.amount;
    if (!Number.isSafeInteger(balance)) throw bad(`${v.prefix}entries[${i}].amount`, `would take the balance of ${v.meter} out of the safe integer range`, { meter: v.meter });
    return balance;
  });
  if (!v.command) return { after, balance };
  const given = v.command.outcome;
  const outcome = typeof given === 'function' ? given(balance) : v.command.withBalance ? withBalance(given, balance) : given;
  if (!isPlainObject(outcome) || typeof outcome.status !== 'string') throw bad(`${v.prefix}command.outcome`, 'must return a CommandOutcome object');
  return { after, balance, outcomeJson: toJson(outcome, `${v.prefix}command.outcome`) };
}

/** The outcome with the balance after the posting, placed before `detail` as the outcome builders do. */
function withBalance(o: CommandOutcome, balance: number): CommandOutcome {
  if (!('detail' in o)) return { ...o, balance } as CommandOutcome;
  const { detail, ...rest } = o as CommandOutcome & { detail: unknown };
  return { ...rest, balance, detail } as CommandOutcome;
}
