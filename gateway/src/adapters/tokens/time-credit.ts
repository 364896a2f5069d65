/** Applying an OpenPAYGO effect to a device's paid-until time. Pure; times are epoch ms UTC. */
import type { OpenPaygoEffect } from './openpaygo-acceptor.js';

export interface TimeCredit {
  /** Supply is paid until this instant (null: never paid). */
  paidUntil: number | null;
  /** Unlocked for good by a DISABLE_PAYG token: no expiry any more. */
  unlocked: boolean;
}

/** Add-time extends from the later of now and the current expiry, so lapsed time is not refunded. */
export function applyTimeEffect(credit: TimeCredit, effect: OpenPaygoEffect, now: number): TimeCredit {
  switch (effect.kind) {
    case 'add-time':
      return { ...credit, paidUntil: Math.max(now, credit.paidUntil ?? now) + effect.ms };
    case 'set-time':
      return { ...credit, paidUntil: effect.expiresAt };
    case 'unlock-forever':
      return { ...credit, unlocked: true };
    case 'counter-sync':
      return credit;
  }
}

export function hasTimeCredit(credit: TimeCredit, now: number): boolean {
  return credit.unlocked || (credit.paidUntil !== null && credit.paidUntil > now);
}
