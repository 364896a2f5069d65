/**
 * The shapes of the credit decision step (decide.ts): what it is given about one account, the one
 * input it decides on, and the one value it returns for the shell (adapters/credit/credit-shell.ts)
 * to carry out. Everything here is data; nothing reads a clock or touches I/O.
 */
import type { NewEvent } from '../model.js';
import type { Posting } from '../ledger/types.js';
import type { Account, AccountState, CommandOutcome, Policy, SupplyState, TariffVersion } from './contracts.js';
import type { PendingCharges } from './pending-charges.js';
import type { TimeCredit } from './time-credit.js';

/** A maintenance override: the relay held in a state until `until`, whatever the credit rules say. */
export interface RelayOverride {
  state: 'connected' | 'disconnected';
  until: number;
  by: string;
}

/** What one account's work remembers between inputs (in memory; the account itself is the ledger's). */
export interface MeterMemory {
  /** The account as last committed. */
  account: Account;
  /** Priced, not yet booked. */
  pending?: PendingCharges;
  /** The relay as last read back (meter reading or relay driver). */
  relay?: SupplyState;
  /** Acquisition confirmed a counter reset: the next reading re-baselines. */
  resetPending: boolean;
  /** Tamper kinds already announced. */
  tamper: readonly string[];
  /** Highest power seen (W), for the disconnect-notice allowance. */
  peakPowerW?: number;
  /** Sub-units charged per local day (read only): `plus` is counted as if already added. */
  usage: { lastDays(today: string, plus?: UsageAdd): number[] };
}

export interface UsageAdd {
  day: string;
  amount: number;
}

/** The settings one account is decided under, as the shell looked them up. */
export interface MeterSettings {
  /** IANA zone for tariffs and friendly periods. */
  zone: string;
  chargeEveryMs: number;
  creditUnit: 'currency' | 'energy';
  currency?: string;
  /** Credit is written to the meter after each posting (the decision then carries a meter view). */
  syncsMeter: boolean;
  /** The account keeps OpenPAYGO time credit (its rules see minutes, not the balance). */
  timeCredited: boolean;
  /** Every tariff version that can apply, oldest first. */
  versions: TariffVersion[];
  /** The account's policy versions (data, so the step never calls back into the shell): see policyAt(). */
  policies: PolicyVersions;
  /** The stored override (perhaps expired: the step compares `until` with now). */
  override?: RelayOverride;
  timeCredit?: TimeCredit;
}

/** A class's policy: the configured one, and versions set by signed commands (oldest first). */
export interface PolicyVersions {
  configured: Policy;
  versions: ReadonlyArray<{ activeFrom: number; policy: Policy }>;
}

/** The policy in force at `ts`: the latest command version active by then, else the configured one. */
export function policyAt(p: PolicyVersions, ts: number): Policy {
  let found: Policy | undefined;
  for (const v of p.versions) if (v.activeFrom <= ts) found = v.policy;
  return found ?? p.configured;
}

export type TopUpCause = { id: string; type: string; source: string; detail?: Record<string, unknown> };

export interface AccountCommandRef {
  id: string;
  type: 'adjustment' | 'refund' | 'reverse' | 'account-open' | 'account-close' | 'meter-swap';
  /** `command:{keyId}`. */
  source: string;
  /** Kept in the entry's cause, the audit row and the outcome (keyId, cosignedBy, reason, ...). */
  detail: Record<string, unknown>;
}

export type AccountInput =
  /** Money moved by `delta` (credit > 0, debit < 0), checked against the policy's corrections limits. */
  | { kind: 'correction'; command: AccountCommandRef; delta: number; cosigned: boolean; usedToday: number }
  /** Move-in: the account was (re)created for the new holder; the opening balance is booked. */
  | { kind: 'open'; command: AccountCommandRef; openingBalance: number; cosigned: boolean }
  /** Move-out: the remaining balance is taken to zero (reported), supply off. */
  | { kind: 'close'; command: AccountCommandRef; finalReading: { wh: number | null; ts: number | null; source: string }; statement: { sinceEntry: number; openingBalance: number; totals: Record<string, number> } }
  /** The meter was replaced: charge the old one up to its final register, continue from the new one's start. */
  | {
      kind: 'swap';
      command: AccountCommandRef;
      oldFinalReading: number;
      newStartReading: number;
      newSerial: string;
      /**
       * The new meter was read before the command: the poller saw the register jump and the account
       * re-baselined at `wh` (the new meter) from `previousWh` (the old meter's last reading), at `ts`.
       */
      rebaselined?: { previousWh: number; wh: number; ts: number };
    };

/** The one input an account's step decides on. */
export type CreditInput =
  | { kind: 'reading'; ts: number; values: Readonly<Record<string, number>> }
  | { kind: 'topup'; amount: number; cause: TopUpCause; tokenMemory?: Posting['tokenMemory'] }
  | { kind: 'keypad-token'; wh: number; id: string }
  | { kind: 'token'; id: string; outcome: CommandOutcome; tokenMemory: NonNullable<Posting['tokenMemory']>; effect: string; timeCredit?: { value: TimeCredit; detail: Record<string, unknown> } }
  | { kind: 'points-redeem'; id: string; points: number; source: string }
  | { kind: 'emergency-request'; cause: string }
  /** A meter-side change that moves no money (power down/up from the meter's log): one audited posting, once by `id`. */
  | { kind: 'meter-record'; id: string; what: string; detail: Record<string, unknown> }
  | { kind: 'button' }
  | { kind: 'reevaluate'; cause: 'start' | 'timer' }
  | { kind: 'override'; override: RelayOverride | null; cause: string }
  | { kind: 'shutdown' }
  | AccountInput;

/** What a relay is told: a rules action (perhaps held by an override), or a restore after an override. */
export type RelayIntent =
  | { kind: 'set'; target: SupplyState; cause: string; action?: string }
  | { kind: 'held'; action: string; cause: string; override: RelayOverride }
  /**
   * Put the relay where `want` says unless the readback already agrees (an armed account may be
   * closed); with no readback yet, `drive` sends it anyway (an override that ended while the
   * gateway was down), else nothing is sent.
   */
  | { kind: 'restore'; want: SupplyState; cause: string; drive?: boolean };

/** What a meter that keeps credit itself is told after each ledger change (defence in depth). */
export interface MeterCreditView {
  balance: number;
  /** What the customer may still use before the gateway trips (see spendable()); null = no limit. */
  spendable: number | null;
  policy: Policy;
  tariff: TariffVersion[];
  /** Energy register at the last charge (Wh). */
  energyWh: number;
  /** Energy the customer may use during a disconnect notice (Wh, from the highest power seen). */
  noticeWh: number;
  supply: SupplyState;
}

/** The retained credit message of one meter. */
export interface CreditPayload {
  meter: string;
  ts: number;
  balance: number;
  creditUnit: 'currency' | 'energy';
  currency?: string;
  state: SupplyState;
  emergency: AccountState['emergency'];
  daysLeft: number | null;
  override: RelayOverride | null;
  timeCredit?: TimeCredit;
}

export interface AuditRow {
  ts: number;
  meter: string;
  action: string;
  cause: string;
  detail: Record<string, unknown>;
}

/**
 * One decision, carried out by one `post` in this order: `observed` events and best-effort audit
 * rows; `memory` kept; settings saved `before`; the posting (one transaction); `events`; meter sync
 * and publish (before the relay when it reconnects, else after); `relay`; the timer; `then` (after
 * the sync, and after settings saved `after`). A duplicate command stops after the posting.
 */
export interface CreditDecision {
  meter: string;
  observed: NewEvent[];
  audits: AuditRow[];
  /** Memory kept before the posting; its `pending` is dropped once the posting commits. */
  memory: Omit<MeterMemory, 'account' | 'usage'>;
  /** Usage to add to the day's window. */
  usage?: UsageAdd;
  settings?: { when: 'before' | 'after'; override?: { value: RelayOverride | null; cause: string }; timeCredit?: { value: TimeCredit; cause: string; detail: Record<string, unknown> } };
  posting?: Posting;
  /** The account after the posting (balance as the entries add up). */
  after?: { balance: number; state: AccountState; cursor: Account['cursor'] };
  events: NewEvent[];
  publish?: CreditPayload;
  meterView?: MeterCreditView;
  /** Sync and publish before the relay (a meter refuses to close at its backup threshold). */
  syncFirst: boolean;
  relay: RelayIntent[];
  then: RelayIntent[];
  /** Re-arm the account's timer (null: none); undefined leaves it as it is. */
  wakeAt?: number | null;
  /** What the input answers: a command outcome (posting's or fixed), or the relay readback. */
  answer: { kind: 'none' } | { kind: 'outcome'; fallback: CommandOutcome } | { kind: 'readback' } | { kind: 'last-relay' };
}

/**
 * What the customer may still use before the gateway itself would disconnect: the balance, plus
 * emergency credit not yet taken, plus the debt a friendly period allows. The meter's backup
 * threshold is set from this, so a meter that loses its gateway never cuts a customer off earlier
 * than the gateway would have. null = no limit the meter could enforce (friendly periods with no
 * maximum debt): the backup threshold is then disabled rather than set too low.
 */
export function spendable(balance: number, state: AccountState, policy: Policy): number | null {
  const emergency = policy.emergencyCredit && !state.emergency.inUse ? policy.emergencyCredit.amount : 0;
  const friendly = policy.friendly.windows.length > 0;
  if (friendly && policy.maxDebt === 0) return null;
  return Math.max(0, balance + emergency + (friendly ? policy.maxDebt : 0));
}
