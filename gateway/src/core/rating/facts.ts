/**
 * Folding an account's ledger entries and audit rows into counts (AccountFacts), incrementally:
 * a pass folds only the rows after the ones already folded. Counts fade exponentially with the
 * rules' half-life, so old history weighs less and a customer who pays on time recovers.
 *
 * - topUpBeforeEmpty / topUpAfterEmpty: a top-up with the balance before it > 0 / <= 0 (not
 *   counted before the account's first charge)
 * - daysInDebt: time with a negative balance, in days (faded continuously)
 * - emergencyCreditTaken: each advance; emergencyCreditRepaid: each advance repaid in full
 * - disconnections: audit `relay-disconnected` with result `verified` (a confirmed trip)
 * - tamper: audit `tamper-latched`
 */
import { FACTORS, type AccountFacts, type FactorCounts, type RatingAudit, type RatingEntry } from './types.js';

export const DAY_MS = 86_400_000;
/** Days of charges kept per account: 30 for the monthly use, 7 for the forecast, and spare. */
export const USAGE_DAYS = 35;

const zeros = (): FactorCounts => Object.fromEntries(FACTORS.map((f) => [f, 0])) as FactorCounts;

export function newFacts(ts: number): AccountFacts {
  return { weighted: zeros(), total: zeros(), asOf: ts, balance: 0, outstanding: 0, usage: { lastDay: Math.floor(ts / DAY_MS), amounts: [] }, entries: 0, lastEntry: 0, lastAudit: 0 };
}

export function utcDay(ts: number): number {
  return Math.floor(ts / DAY_MS);
}

/**
 * Move the faded counts forward to `ts` (in place): every count fades by 2^(-dt/halfLife), and
 * time spent in debt meanwhile is added as the integral of the fading weight. Earlier `ts` = no-op.
 */
export function advance(f: AccountFacts, ts: number, halfLifeMs: number): void {
  const dt = ts - f.asOf;
  if (!(dt > 0)) return;
  const k = Math.pow(2, -dt / halfLifeMs);
  const w = f.weighted;
  for (const name of FACTORS) w[name] *= k;
  if (f.balance < 0) {
    // ∫0..dt 2^(-(dt-s)/H) ds = H / ln2 * (1 - 2^(-dt/H))
    w.daysInDebt += (halfLifeMs / Math.LN2) * (1 - k) / DAY_MS;
    f.total.daysInDebt += dt / DAY_MS;
  }
  f.asOf = ts;
}

function count(f: AccountFacts, name: keyof FactorCounts): void {
  f.weighted[name] += 1;
  f.total[name] += 1;
}

function addUsage(f: AccountFacts, day: number, amount: number): void {
  const u = f.usage;
  if (u.amounts.length === 0) u.lastDay = day;
  if (day > u.lastDay) {
    const gap = Math.min(day - u.lastDay, USAGE_DAYS);
    for (let i = 0; i < gap; i++) u.amounts.push(0);
    u.lastDay = day;
    if (u.amounts.length > USAGE_DAYS) u.amounts.splice(0, u.amounts.length - USAGE_DAYS);
  }
  if (u.amounts.length === 0) u.amounts.push(0);
  const i = u.amounts.length - 1 - (u.lastDay - day);
  if (i >= 0) u.amounts[i] = u.amounts[i]! + amount;
}

/**
 * Fold one ledger entry (in place). Entries must come in id order; each moves the balance. An
 * entry already folded (id <= lastEntry) is skipped.
 */
export function foldEntry(f: AccountFacts, e: RatingEntry, halfLifeMs: number): void {
  if (e.id <= f.lastEntry) return;
  f.lastEntry = e.id;
  advance(f, e.ts, halfLifeMs);
  const before = e.balanceAfter - e.amount;
  switch (e.kind) {
    case 'topup':
      // A new account's first credit, before anything was charged, is neither.
      if (f.usage.amounts.length > 0) count(f, before > 0 ? 'topUpBeforeEmpty' : 'topUpAfterEmpty');
      break;
    case 'emergency-credit-taken':
      count(f, 'emergencyCreditTaken');
      f.outstanding += e.amount;
      break;
    case 'emergency-credit-repaid':
      if (f.outstanding > 0) {
        f.outstanding = Math.max(0, f.outstanding + e.amount);
        if (f.outstanding === 0) count(f, 'emergencyCreditRepaid');
      }
      break;
    case 'consumption':
    case 'standing-charge':
      addUsage(f, utcDay(e.ts), -e.amount);
      break;
    default:
      break;
  }
  f.balance = e.balanceAfter;
  f.entries++;
}

/** The audit actions the rating counts (the pass reads only these). */
export const RATED_ACTIONS = ['relay-disconnected', 'tamper-latched'] as const;

export function foldAudit(f: AccountFacts, a: RatingAudit, halfLifeMs: number): void {
  if (a.id <= f.lastAudit) return;
  f.lastAudit = a.id;
  if (a.action === 'relay-disconnected' && a.detail.result !== 'verified') return;
  if (!(RATED_ACTIONS as readonly string[]).includes(a.action)) return;
  advance(f, a.ts, halfLifeMs);
  count(f, a.action === 'tamper-latched' ? 'tamper' : 'disconnections');
}

/** Entries and audit rows of one account merged in time order (ties: entries first), folded. */
export function foldAll(f: AccountFacts, entries: readonly RatingEntry[], audit: readonly RatingAudit[], halfLifeMs: number): void {
  let i = 0;
  let j = 0;
  while (i < entries.length || j < audit.length) {
    if (j >= audit.length || (i < entries.length && entries[i]!.ts <= audit[j]!.ts)) foldEntry(f, entries[i++]!, halfLifeMs);
    else foldAudit(f, audit[j++]!, halfLifeMs);
  }
}

/**
 * Charges of each of the last `n` complete UTC days before `now`, oldest first (days without a
 * charge 0), starting no earlier than the first day with one: a new account is not averaged down.
 */
export function dailyCharges(f: AccountFacts, now: number, n: number): number[] {
  const today = utcDay(now);
  const first = f.usage.lastDay - f.usage.amounts.length + 1;
  const out: number[] = [];
  if (f.usage.amounts.length === 0) return out;
  for (let d = Math.max(today - n, first); d < today; d++) {
    const i = f.usage.amounts.length - 1 - (f.usage.lastDay - d);
    out.push(i >= 0 && i < f.usage.amounts.length ? f.usage.amounts[i]! : 0);
  }
  return out;
}

/** Charges of the last 30 days including today, sub-units. */
export function monthlyUse(f: AccountFacts, now: number): number {
  const today = utcDay(now);
  let sum = 0;
  f.usage.amounts.forEach((a, i) => {
    const day = f.usage.lastDay - (f.usage.amounts.length - 1 - i);
    if (day > today - 30 && day <= today) sum += a;
  });
  return sum;
}
