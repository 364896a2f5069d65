/**
 * The decision step for signed corrections (adjustment, refund, reverse) and the account lifecycle
 * (account-open, account-close, meter-swap). Pure: the shell looked up what it needs from the
 * ledger (today's corrections, the entry to reverse, the period's totals) and brings it as data.
 * Each posts once (the command id is in the posting) and re-evaluates the rules at once, like a
 * top-up: a credit may reconnect, a debit may warn, schedule a disconnect or trip.
 */
import { correctionProblem } from '../commands/correction-limits.js';
import { initialAccountState } from '../policy/index.js';
import { chargeConsumption, standingCharges } from '../tariff/index.js';
import { inFriendlyPeriod } from '../policy/index.js';
import type { CommandOutcome, NewEntry } from './contracts.js';
import { policyAt, type AccountInput, type CreditDecision, type MeterMemory, type MeterSettings } from './decision.js';
import { pendingEntries, pendingTotal, startPending, withReading } from './pending-charges.js';
import { memoryOf, quiet, runRules } from './rules-step.js';

export function decideAccount(m: MeterMemory, input: AccountInput, s: MeterSettings, now: number): CreditDecision {
  const meter = m.account.meter;
  const d = quiet(meter, memoryOf(m));
  const c = input.command;
  const balance = m.account.balance - pendingTotal(m.pending);
  const reject = (reason: string, message: string): CreditDecision => ({ ...d, answer: { kind: 'outcome', fallback: { status: 'rejected', id: c.id, reason, message } } });
  const applied = (detail: Record<string, unknown>): CommandOutcome => ({ status: 'applied', id: c.id, type: c.type, meter, detail });
  const policy = policyAt(s.policies, now);
  switch (input.kind) {
    case 'correction': {
      const amount = Math.abs(input.delta);
      const problem = correctionProblem({ amount, delta: input.delta, balance, usedToday: input.usedToday, cosigned: input.cosigned, policy });
      if (problem) return reject(problem.reason, problem.message);
      const entry: NewEntry = { kind: 'adjustment', amount: input.delta, ts: now, cause: { correction: c.type, command: c.id, ...c.detail } };
      const outcome = applied({ amount: input.delta, ...c.detail });
      const out = runRules(d, m, s, now, now, { entries: [entry], force: true, command: { id: c.id, type: c.type, outcome, withBalance: true }, audit: { action: 'correction', cause: c.source, detail: { id: c.id, type: c.type, amount: input.delta, ...c.detail } } });
      return { ...out, answer: { kind: 'outcome', fallback: outcome } };
    }
    case 'open': {
      if (input.openingBalance > 0) {
        const problem = correctionProblem({ amount: input.openingBalance, delta: input.openingBalance, balance, cosigned: input.cosigned, policy });
        if (problem) return reject(problem.reason, problem.message);
      }
      // Always one entry (perhaps of 0): the holder's period in the book starts at it.
      const entries: NewEntry[] = [{ kind: 'adjustment', amount: input.openingBalance, ts: now, cause: { correction: 'opening-balance', command: c.id, ...c.detail } }];
      const outcome = applied({ openingBalance: input.openingBalance, ...c.detail });
      // No cursor: the first reading of the new holder is the baseline (what was used while the
      // meter had no account is nobody's). The state starts afresh; the relay is put where it says.
      const { pending: _previous, ...fresh } = d.memory;
      const out = runRules({ ...d, memory: { ...fresh, resetPending: false } }, m, s, now, now, { entries, force: true, state: initialAccountState(), cursor: undefined, command: { id: c.id, type: c.type, outcome, withBalance: true }, audit: { action: 'account-opened', cause: c.source, detail: { id: c.id, openingBalance: input.openingBalance, ...c.detail } } });
      const posting = out.posting ? { ...out.posting, cursor: null } : out.posting;
      const want = out.after?.state.supply ?? 'connected';
      return { ...out, ...(posting ? { posting } : {}), then: [...out.then, { kind: 'restore', want, cause: 'account opened', drive: true }], answer: { kind: 'outcome', fallback: outcome } };
    }
    case 'close': {
      // What is pending is booked with the closing entry; the remainder (credit or debt) is reported and taken to zero.
      const remaining = balance;
      const entries: NewEntry[] = remaining !== 0 ? [{ kind: 'adjustment', amount: -remaining, ts: now, cause: { correction: 'closing-balance', command: c.id, remaining } }] : [];
      const totals = input.statement.totals;
      const statement = { sinceEntry: input.statement.sinceEntry, openingBalance: input.statement.openingBalance, totals, closingBalance: remaining };
      const outcome = applied({ finalReading: input.finalReading, remainingCredit: remaining, statement, ...c.detail });
      const state = { ...initialAccountState(), supply: 'disconnected' as const };
      const out = runRules(d, m, s, now, now, { entries, force: true, state, command: { id: c.id, type: c.type, outcome }, audit: { action: 'account-closed', cause: c.source, detail: { id: c.id, remainingCredit: remaining, finalReading: input.finalReading, ...c.detail } } });
      // Whatever the rules would do with a zero balance (emergency credit taken, a notice): only the
      // pending charges and the closing entry are booked; supply off, now, and no timer.
      const booked = [...(m.pending ? pendingEntries(m.pending, now) : []), ...entries];
      const posting = out.posting && { ...out.posting, entries: booked, state };
      const publish = out.publish && { ...out.publish, balance: 0, state: 'disconnected' as const, emergency: state.emergency, daysLeft: null };
      return { ...out, ...(posting ? { posting } : {}), ...(publish ? { publish } : {}), ...(out.after ? { after: { ...out.after, balance: 0, state } } : {}), ...(out.meterView ? { meterView: { ...out.meterView, balance: 0, spendable: 0, supply: 'disconnected' as const } } : {}), events: [...out.events, { ts: now, type: 'account-closed', meter, data: { remainingCredit: remaining, command: c.id } }], relay: [{ kind: 'set', target: 'disconnected', cause: 'account closed' }], then: [], wakeAt: null, answer: { kind: 'outcome', fallback: outcome } };
    }
    case 'swap': {
      if (input.rebaselined) return decideLateSwap(m, input as Required<typeof input>, s, now, d, applied, reject);
      const cursor = m.pending?.cursor ?? m.account.cursor;
      const { oldFinalReading: oldWh, newStartReading: newWh } = input;
      if (cursor && oldWh < cursor.lastWh) return reject('E_COMMAND_AMOUNT', `oldFinalReading: ${oldWh} Wh is below the last reading charged (${cursor.lastWh} Wh)`);
      let memory = d.memory;
      let next = cursor;
      if (cursor && now > cursor.lastTs) {
        // The old meter, from its last charged reading to its final register: priced like a reading.
        const charged = chargeConsumption(s.versions, s.zone, cursor, { ts: now, wh: oldWh });
        const standing = standingCharges(s.versions, s.zone, charged.cursor, now);
        const kind = balance <= 0 && inFriendlyPeriod(policy, s.zone, now) ? 'friendly-debt' : 'consumption';
        const pending = withReading(m.pending ?? startPending(m.account.cursor ?? cursor), charged, kind, standing);
        memory = { ...memory, pending };
        next = pending.cursor;
      }
      const oldUnbilled = cursor ? oldWh - cursor.lastWh : 0;
      const detail = { oldFinalReading: oldWh, oldLastCharged: cursor?.lastWh ?? null, oldUnbilledWh: oldUnbilled, newSerial: input.newSerial, newStartReading: newWh, ...c.detail };
      const outcome = applied(detail);
      const swapped = next ? { ...next, lastWh: newWh } : undefined;
      const out = runRules({ ...d, memory: { ...memory, resetPending: false } }, m, s, now, now, { force: true, ...(swapped ? { cursor: swapped } : {}), command: { id: c.id, type: c.type, outcome, withBalance: true }, audit: { action: 'meter-swap', cause: c.source, detail: { id: c.id, ...detail } } });
      return { ...out, answer: { kind: 'outcome', fallback: outcome } };
    }
  }
}

type SwapInput = Required<Extract<AccountInput, { kind: 'swap' }>>;

/**
 * A swap sent after the new meter was already read: the account re-baselined at the new register
 * (so neither the old meter's last `oldFinal - previousWh` nor the new one's first `wh - newStart`
 * was charged) and charges from there on. Both are charged now, at the instant of the re-baseline
 * (tariff period, month and remainder as then), and the cursor goes on as it is: nothing lost,
 * nothing twice.
 */
function decideLateSwap(m: MeterMemory, input: SwapInput, s: MeterSettings, now: number, d: CreditDecision, applied: (detail: Record<string, unknown>) => CommandOutcome, reject: (reason: string, message: string) => CreditDecision): CreditDecision {
  const c = input.command;
  const r = input.rebaselined;
  const cursor = m.pending?.cursor ?? m.account.cursor;
  if (!cursor) return reject('E_COMMAND_ACCOUNT_STATE', 'meter: the account has no charge cursor');
  const oldTail = input.oldFinalReading - r.previousWh;
  const newHead = r.wh - input.newStartReading;
  if (oldTail < 0) return reject('E_COMMAND_AMOUNT', `oldFinalReading: ${input.oldFinalReading} Wh is below the old meter's last reading (${r.previousWh} Wh)`);
  if (newHead < 0) return reject('E_COMMAND_AMOUNT', `newStartReading: ${input.newStartReading} Wh is above the new meter's first reading (${r.wh} Wh)`);
  // Priced as one reading of oldTail + newHead Wh at the instant of the re-baseline, from the cursor's remainder and month.
  const probe = { ...cursor, lastWh: 0, lastTs: r.ts - 1 };
  const charged = chargeConsumption(s.versions, s.zone, probe, { ts: r.ts, wh: oldTail + newHead });
  const carried = { ...cursor, remainderMilli: charged.cursor.remainderMilli, ...(charged.cursor.month === cursor.month ? { monthWh: charged.cursor.monthWh } : {}) };
  const base = m.pending ?? startPending(m.account.cursor ?? cursor);
  const pending = withReading(base, charged, 'consumption', { days: [], cursor: carried });
  const detail = { oldFinalReading: input.oldFinalReading, oldLastCharged: r.previousWh, oldUnbilledWh: oldTail, newSerial: input.newSerial, newStartReading: input.newStartReading, newReadBeforeSwap: { wh: r.wh, ts: r.ts, unbilledWh: newHead }, ...c.detail };
  const outcome = applied(detail);
  const out = runRules({ ...d, memory: { ...d.memory, pending } }, m, s, now, now, { force: true, command: { id: c.id, type: c.type, outcome, withBalance: true }, audit: { action: 'meter-swap', cause: c.source, detail: { id: c.id, ...detail } } });
  return { ...out, answer: { kind: 'outcome', fallback: outcome } };
}
