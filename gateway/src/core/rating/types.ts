/**
 * Shapes of the credit rating, the customer classes and the reminders (issue #17 items 1-3). The
 * rules are data (schema/rating.schema.json, checked by parseRating); everything here is pure.
 */
import type { EntryKind } from '../credit/contracts.js';

/** What a score is made of, in the order it is explained. */
export const FACTORS = ['topUpBeforeEmpty', 'topUpAfterEmpty', 'daysInDebt', 'emergencyCreditTaken', 'emergencyCreditRepaid', 'disconnections', 'tamper'] as const;
export type Factor = (typeof FACTORS)[number];
export type FactorCounts = Record<Factor, number>;

export interface ScoreRules {
  base: number;
  min: number;
  max: number;
  halfLifeDays: number;
  weights: Partial<Record<Factor, number>>;
  caps: Partial<Record<Factor, number>>;
}

export interface ClassRule {
  name: string;
  band: string;
  minScore?: number;
  minMonthlyUse?: number;
  contracts?: string[];
}

export interface Band {
  /** A key of credit.policies. */
  policy: string;
  reminderLeadDays: number;
  arrearsEveryDays: number;
  reconnectPriority: number;
}

export interface WebhookRules {
  url: string;
  secretFile: string;
  timeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
}

export interface ReminderRules {
  checkEveryMs: number;
  language: string;
  languages: Record<string, string>;
  templates: Record<string, string>;
  webhook?: WebhookRules;
}

export interface RatingRules {
  score: ScoreRules;
  classes: ClassRule[];
  bands: Record<string, Band>;
  regradeEveryMs: number;
  reminders: ReminderRules;
}

/** One ledger entry as the rating reads it. */
export interface RatingEntry {
  id: number;
  meter: string;
  kind: EntryKind;
  amount: number;
  ts: number;
  balanceAfter: number;
}

/** One audit row as the rating reads it (only the actions it counts are read). */
export interface RatingAudit {
  id: number;
  meter: string;
  ts: number;
  action: string;
  detail: Record<string, unknown>;
}

/**
 * An account's history folded into counts, kept between passes (so a daily pass reads only what
 * is new). `weighted` fades with the half-life and is as of `asOf`; `total` never fades.
 */
export interface AccountFacts {
  weighted: FactorCounts;
  total: FactorCounts;
  asOf: number;
  balance: number;
  /** Emergency credit taken and not yet repaid. */
  outstanding: number;
  /** Charges (consumption + standing) per UTC day: amounts[last] is day `lastDay`; at most USAGE_DAYS. */
  usage: { lastDay: number; amounts: number[] };
  /** Entries folded (0 = none yet). */
  entries: number;
  /** Ids of the last ledger entry and audit row folded: a row at or below is skipped, so folding twice is harmless. */
  lastEntry: number;
  lastAudit: number;
}

export interface FactorPoints {
  factor: Factor;
  /** Plain count since the first entry (days for daysInDebt). */
  total: number;
  /** Faded count the points are computed from, 2 decimals. */
  weighted: number;
  weight: number;
  points: number;
}

export interface Rating {
  meter: string;
  ts: number;
  score: number;
  /** The class (grade) name and its band. */
  grade: string;
  band: string;
  /** Charges of the last 30 days, sub-units. */
  monthlyUse: number;
  factors: FactorPoints[];
}

export type ReminderKind = 'days-left' | 'arrears' | 'disconnect-notice' | 'topup-receipt';

/** A reminder before it is rendered: `key` is unique per account and occasion (the de-dup key). */
export interface Reminder {
  kind: ReminderKind;
  meter: string;
  key: string;
  ts: number;
  data: Record<string, number | string | null>;
}

/** Per account, what has been reminded (persisted with the facts, in one transaction with the outbox). */
export interface ReminderState {
  /** The days-left reminder of this low-credit spell was sent; re-armed when the forecast rises above the lead. */
  daysLeftSent: boolean;
  /** UTC day of the last arrears reminder, null when not in debt. */
  arrearsDay: number | null;
}
