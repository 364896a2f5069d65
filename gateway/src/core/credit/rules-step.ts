/**
 * The rules on an account after what is pending and what this input adds: if anything changes (or
 * `force`), one posting books it all — pending charges, entries, the rules' entries, the new state
 * and cursor, the audit row, a command id — and the decision says what to carry out after it.
 * Pure: `now` is the clock's, `ts` the input's instant.
 */
import type { NewEvent } from '../model.js';
import type { Posting } from '../ledger/types.js';
import { daysOfCreditLeft, evaluate } from '../policy/index.js';
import { localParts } from '../tariff/index.js';
import type { AccountState, ChargeCursor, NewEntry, PolicyAction, SupplyState } from './contracts.js';
import { policyAt, spendable, type CreditDecision, type MeterMemory, type MeterSettings, type RelayIntent, type UsageAdd } from './decision.js';
import { pendingEntries } from './pending-charges.js';
import { hasTimeCredit } from './time-credit.js';

/** Power assumed for the disconnect-notice allowance until a reading shows the real peak (W). */
export const DEFAULT_PEAK_W = 10_000;
/** Time-credit accounts show the policy this many sub-units per minute of credit left. */
const UNLOCKED_MINUTES = 1e12;

export interface RulesOptions {
  entries?: NewEntry[];
  cursor?: ChargeCursor;
  force?: boolean;
  buttonPressed?: boolean;
  emergencyRequested?: boolean;
  state?: AccountState;
  command?: Posting['command'];
  tokenMemory?: Posting['tokenMemory'];
  audit: Posting['audit'];
}

/** A decision that carries out nothing but keeping `memory`. */
export function quiet(meter: string, memory: CreditDecision['memory'], observed: NewEvent[] = [], audits: CreditDecision['audits'] = []): CreditDecision {
  return { meter, observed, audits, memory, events: NONE, syncFirst: false, relay: NONE, then: NONE, answer: ANSWER_NONE };
}

// Shared by every quiet decision (most readings): nothing ever adds to them in place.
const NONE: never[] = [];
const ANSWER_NONE = { kind: 'none' } as const;

/** Memory as the step leaves it, before the rules run. */
export function memoryOf(m: MeterMemory): CreditDecision['memory'] {
  const out: CreditDecision['memory'] = { resetPending: m.resetPending, tamper: m.tamper };
  if (m.pending) out.pending = m.pending;
  if (m.relay) out.relay = m.relay;
  if (m.peakPowerW !== undefined) out.peakPowerW = m.peakPowerW;
  return out;
}

/** The balance the rules see: the ledger balance, or minutes of time credit on OpenPAYGO accounts. */
export function policyBalance(s: MeterSettings, balance: number, now: number): number {
  if (!s.timeCredited) return balance;
  const tc = s.timeCredit;
  if (!tc || !hasTimeCredit(tc, now)) return 0;
  return tc.unlocked ? UNLOCKED_MINUTES : Math.ceil((tc.paidUntil! - now) / 60_000);
}

/** The override holding the relay at `now`, if any. */
export function overrideAt(s: MeterSettings, now: number): MeterSettings['override'] {
  return s.override && s.override.until > now ? s.override : undefined;
}

export function targetOf(a: PolicyAction): SupplyState {
  return a.type === 'trip' ? 'disconnected' : a.type === 'close' ? 'connected' : 'ready-for-reconnection';
}

/** `d` (what the input observed so far) with the rules run and, when needed, a posting. */
export function runRules(d: CreditDecision, m: MeterMemory, s: MeterSettings, clockNow: number, ts: number, opts: RulesOptions, usage?: UsageAdd): CreditDecision {
  const meter = d.meter;
  const acct = m.account;
  const now = Math.max(ts, clockNow);
  const policy = policyAt(s.policies, now);
  const pending = d.memory.pending;
  const entries = [...(pending ? pendingEntries(pending, ts) : []), ...(opts.entries ?? [])];
  const cursor = opts.cursor ?? pending?.cursor;
  const balance = acct.balance + entries.reduce((sum, e) => sum + e.amount, 0);
  const relay = d.memory.relay;
  const rules = evaluate({
    policy,
    zone: s.zone,
    state: opts.state ?? acct.state,
    balance: policyBalance(s, balance, now),
    now,
    ...(relay ? { relay } : {}),
    ...(opts.buttonPressed ? { buttonPressed: true } : {}),
    ...(opts.emergencyRequested ? { emergencyRequested: true } : {}),
  });
  const changed = rules.entries.length > 0 || rules.events.length > 0 || rules.actions.length > 0 || JSON.stringify(rules.state) !== JSON.stringify(acct.state);
  if (!opts.force && !changed && !opts.command) return d;
  const all = [...entries, ...rules.entries];
  const posting: Posting = {
    meter,
    ts,
    entries: all,
    state: rules.state,
    ...(cursor ? { cursor } : {}),
    audit: opts.audit,
    ...(opts.command ? { command: opts.command } : {}),
    ...(opts.tokenMemory ? { tokenMemory: opts.tokenMemory } : {}),
  };
  const after = { balance: acct.balance + all.reduce((sum, e) => sum + e.amount, 0), state: rules.state, cursor: cursor ?? acct.cursor };
  const ov = overrideAt(s, now);
  const intents: RelayIntent[] = rules.actions.map((a) => (ov ? { kind: 'held', action: a.type, cause: a.cause, override: ov } : { kind: 'set', target: targetOf(a), cause: a.cause }));
  const energyWh = cursor?.lastWh ?? acct.cursor?.lastWh;
  const today = localParts(now, s.zone).date;
  return {
    ...d,
    posting,
    after,
    events: rules.events.map((e) => ({ ts: now, type: e.type, meter, data: e.data })),
    publish: {
      meter,
      ts: now,
      balance: after.balance,
      creditUnit: s.creditUnit,
      ...(s.currency ? { currency: s.currency } : {}),
      state: rules.state.supply,
      emergency: rules.state.emergency,
      daysLeft: daysOfCreditLeft(after.balance, m.usage.lastDays(today, usage)),
      override: ov ?? null,
      ...(s.timeCredit ? { timeCredit: s.timeCredit } : {}),
    },
    ...(s.syncsMeter && energyWh !== undefined && !s.timeCredited
      ? { meterView: { balance: after.balance, spendable: spendable(after.balance, rules.state, policy), policy, tariff: s.versions, energyWh, noticeWh: Math.ceil(((d.memory.peakPowerW ?? DEFAULT_PEAK_W) * policy.disconnectNoticeMs) / 3_600_000), supply: rules.state.supply } }
      : {}),
    syncFirst: rules.actions.some((a) => a.type !== 'trip'),
    relay: intents,
    wakeAt: wakeAt(s, rules.wakeAt, now),
  };
}

function wakeAt(s: MeterSettings, policyWake: number | null, now: number): number | null {
  const candidates = [policyWake];
  const ov = s.override;
  if (ov && ov.until > now) candidates.push(ov.until);
  const tc = s.timeCredit;
  if (tc && !tc.unlocked && tc.paidUntil !== null && tc.paidUntil > now) candidates.push(tc.paidUntil);
  const xs = candidates.filter((x): x is number => x !== null);
  return xs.length ? Math.min(...xs) : null;
}
