/** Applying an OpenPAYGO effect to a device's paid-until time. Pure; times are epoch ms UTC. */
import type { OpenPaygoEffect } from './openpaygo-acceptor.js';
import type { TimeCredit } from '../../core/credit/time-credit.js';

export type { TimeCredit } from '../../core/credit/time-credit.js';
export { hasTimeCredit } from '../../core/credit/time-credit.js';

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
