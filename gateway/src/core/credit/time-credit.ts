/** OpenPAYGO time credit as the credit rules see it: paid until an instant, or unlocked for good. Pure. */
export interface TimeCredit {
  /** Supply is paid until this instant (null: never paid). */
  paidUntil: number | null;
  /** Unlocked for good by a DISABLE_PAYG token: no expiry any more. */
  unlocked: boolean;
}

export function hasTimeCredit(credit: TimeCredit, now: number): boolean {
  return credit.unlocked || (credit.paidUntil !== null && credit.paidUntil > now);
}
