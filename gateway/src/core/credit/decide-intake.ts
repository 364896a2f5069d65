/**
 * The decision step for everything but readings: top-ups and tokens (credit from outside),
 * emergency credit and the button, timed re-evaluation, maintenance overrides, and the stop. Pure.
 */
import { allocateTopUp } from '../policy/index.js';
import { pointsEarned, redeemPoints } from '../policy/points.js';
import { policyAt } from './decision.js';
import type { CommandOutcome, NewEntry } from './contracts.js';
import type { CreditDecision, CreditInput, MeterMemory, MeterSettings } from './decision.js';
import { pendingEntries, pendingTotal } from './pending-charges.js';
import { memoryOf, quiet, runRules } from './rules-step.js';
import { compileVersions, stateAt } from '../tariff/compile.js';
import { decideAccount } from './decide-account.js';

/** The base price (sub-units per kWh) of the tariff period in force at `now`; undefined before any version. */
function priceNow(s: MeterSettings, now: number): number | undefined {
  try {
    return stateAt(compileVersions(s.versions), s.zone, now).price;
  } catch {
    return undefined;
  }
}

type Intake = Exclude<CreditInput, { kind: 'reading' }>;

export function decideIntake(m: MeterMemory, input: Intake, s: MeterSettings, now: number): CreditDecision {
  const meter = m.account.meter;
  const acct = m.account;
  const d = quiet(meter, memoryOf(m));
  switch (input.kind) {
    case 'topup': {
      // Repays emergency credit first (allocateTopUp); booked exactly once by its id.
      const { amount, cause } = input;
      const balanceBefore = acct.balance - pendingTotal(m.pending);
      const alloc = allocateTopUp(acct.state, balanceBefore, amount, now, { id: cause.id, source: cause.source, ...(cause.detail ?? {}) });
      // An on-time top-up earns points (policy points), booked with it in the same transaction.
      const earned = pointsEarned(policyAt(s.policies, now).points, acct.state, balanceBefore);
      const entries = earned > 0 ? alloc.entries.map((e, i) => (i === 0 ? { ...e, cause: { ...e.cause, points: earned } } : e)) : alloc.entries;
      const state = earned > 0 ? { ...alloc.state, points: (acct.state.points ?? 0) + earned } : alloc.state;
      const detail = { amount, ...(cause.detail ?? {}), ...(earned > 0 ? { points: earned } : {}) };
      const out = runRules(d, m, s, now, now, {
        entries,
        audit: { action: 'topup', cause: cause.source, detail: { id: cause.id, ...detail } },
        force: true,
        state,
        command: { id: cause.id, type: cause.type, outcome: { status: 'applied', id: cause.id, type: cause.type as 'topup', meter, detail }, withBalance: true },
        ...(input.tokenMemory ? { tokenMemory: input.tokenMemory } : {}),
      });
      return { ...out, answer: { kind: 'outcome', fallback: { status: 'applied', id: cause.id, type: 'topup', meter, detail: { amount } } } };
    }
    case 'keypad-token': {
      // An energy account books the kWh typed on the keypad; a currency account books their value
      // at the tariff in force (the base price of the period now: tier adders are not applied).
      if (s.creditUnit === 'energy') return decideIntake(m, { kind: 'topup', amount: input.wh, cause: { id: input.id, type: 'token', source: 'keypad', detail: { scheme: 'sts', wh: input.wh } } }, s, now);
      const { wh, id } = input;
      const price = priceNow(s, now);
      const amount = price === undefined ? 0 : Math.floor((wh * price) / 1000);
      if (amount > 0) return decideIntake(m, { kind: 'topup', amount, cause: { id, type: 'token', source: 'keypad', detail: { scheme: 'sts', wh, pricePerKwh: price, converted: 'kWh at the tariff in force' } } }, s, now);
      d.observed.push({ ts: now, type: 'keypad-token-unbooked', meter, data: { wh, id, reason: 'a kWh token on a currency account with no tariff in force to price it: book it at the back office' } });
      d.audits.push({ ts: now, meter, action: 'keypad-token', cause: 'unbooked', detail: { wh, id } });
      const rejected: CommandOutcome = { status: 'rejected', id, reason: 'E_TOKEN_UNSUPPORTED', message: `token: ${wh} Wh typed on the keypad of a currency account with no tariff in force to price them` };
      return { ...d, answer: { kind: 'outcome', fallback: rejected } };
    }
    case 'token': {
      const { id, outcome, effect } = input;
      const balance = acct.balance - pendingTotal(m.pending);
      const entries: NewEntry[] = effect === 'clear-credit' && balance !== 0 ? [{ kind: 'adjustment', amount: -balance, ts: now, cause: { reason: 'STS clear-credit token', id } }] : [];
      const tc = input.timeCredit;
      const settings = tc ? { ...s, timeCredit: tc.value } : s;
      const out = runRules(d, m, settings, now, now, { entries, force: true, command: { id, type: 'token', outcome }, tokenMemory: input.tokenMemory, audit: { action: 'token', cause: effect, detail: { id } } });
      return { ...out, ...(tc ? { settings: { when: 'before', timeCredit: { value: tc.value, cause: `token ${id}`, detail: tc.detail } } } : {}), answer: { kind: 'outcome', fallback: outcome } };
    }
    case 'points-redeem': {
      const { id, points, source } = input;
      const r = redeemPoints(policyAt(s.policies, now).points, acct.state, points, now, { id, source });
      if (!r.ok) return { ...d, answer: { kind: 'outcome', fallback: { status: 'rejected', id, reason: 'E_COMMAND_POINTS', message: r.message } } };
      const outcome: CommandOutcome = { status: 'applied', id, type: 'points-redeem', meter, detail: { points, amount: r.entry.amount, pointsLeft: r.state.points ?? 0 } };
      const out = runRules(d, m, s, now, now, {
        entries: [r.entry],
        audit: { action: 'points-redeem', cause: source, detail: { id, points, amount: r.entry.amount, pointsLeft: r.state.points ?? 0 } },
        force: true,
        state: r.state,
        command: { id, type: 'points-redeem', outcome, withBalance: true },
      });
      return { ...out, answer: { kind: 'outcome', fallback: outcome } };
    }
    case 'meter-record': {
      // No entry of its own (no money moves): the posting books the charges priced up to now, its
      // audit row is the record, and its id (the meter's event seq) makes it once.
      const { id, what, detail } = input;
      const outcome: CommandOutcome = { status: 'applied', id, type: 'meter-record', meter, detail: { what, charged: 0, ...detail } };
      const out = runRules(d, m, s, now, now, { force: true, command: { id, type: 'meter-record', outcome }, audit: { action: 'meter-record', cause: what, detail: { id, charged: 0, ...detail } } });
      return { ...out, answer: { kind: 'outcome', fallback: outcome } };
    }
    case 'emergency-request':
      return runRules(d, m, s, now, now, { emergencyRequested: true, audit: { action: 'emergency-credit-request', cause: input.cause } });
    case 'button':
      return runRules(d, m, s, now, now, { buttonPressed: true, audit: { action: 'button', cause: 'customer' } });
    case 'reevaluate': {
      const out = runRules(d, m, s, now, now, { audit: { action: 'policy', cause: input.cause } });
      const ov = s.override;
      if (!ov || ov.until > now) return out;
      // The override ran out (at its timer, or while the gateway was down): release it after the
      // rules, then put the relay where their state says.
      const restore = { kind: 'restore' as const, want: (out.after?.state ?? acct.state).supply, cause: 'override ended', ...(input.cause === 'start' ? { drive: true } : {}) };
      return { ...out, settings: { when: 'after', override: { value: null, cause: 'override expired' } }, then: [...out.then, restore] };
    }
    case 'override': {
      const ov = input.override;
      if (ov) return { ...d, settings: { when: 'before', override: { value: ov, cause: input.cause } }, relay: [{ kind: 'set', target: ov.state, cause: `override: ${input.cause}` }], wakeAt: ov.until, answer: { kind: 'last-relay' } };
      // Released: the rules' relay actions were held meanwhile while their state moved on.
      const released: MeterSettings = { ...s };
      delete released.override;
      const out = runRules(d, m, released, now, now, { audit: { action: 'policy', cause: 'override released' } });
      return { ...out, settings: { when: 'before', override: { value: null, cause: input.cause } }, then: [...out.then, { kind: 'restore', want: (out.after?.state ?? acct.state).supply, cause: 'override ended' }], answer: { kind: 'readback' } };
    }
    case 'shutdown': {
      // Only the charges and the cursor: the rules run on them at the next start, when the relays
      // can be driven again, so no decision is persisted that could not be carried out.
      const p = m.pending;
      if (!p) return d;
      return { ...d, posting: { meter, ts: now, entries: pendingEntries(p, now), cursor: p.cursor, audit: { action: 'charge', cause: 'shutdown' } } };
    }
    default:
      return decideAccount(m, input, s, now);
  }
}
