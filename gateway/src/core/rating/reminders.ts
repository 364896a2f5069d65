/**
 * Reminders from an account's own forecast and balance: days left (from the average daily charge
 * of its last 7 complete days, as meters show it), arrears while in debt, and top-up receipts and
 * disconnection notices as they happen. Each reminder has a key unique per account and occasion,
 * so deriving it twice (after a crash) yields the same key and the outbox keeps one.
 */
import { daysOfCreditLeft } from '../policy/days-of-credit.js';
import type { Band, Reminder, ReminderState } from './types.js';
import { utcDay } from './facts.js';

export function initialReminderState(): ReminderState {
  return { daysLeftSent: false, arrearsDay: null };
}

export interface ReminderView {
  meter: string;
  balance: number;
  /** Charges of the last complete days, oldest first (facts.dailyCharges(f, now, 7)). */
  daily: readonly number[];
  band: Band;
  now: number;
}

/** The days-left and arrears reminders due now, and the state to store with them. */
export function balanceReminders(v: ReminderView, state: ReminderState): { state: ReminderState; reminders: Reminder[] } {
  const reminders: Reminder[] = [];
  const s = { ...state };
  const day = utcDay(v.now);
  const left = daysOfCreditLeft(v.balance, v.daily);
  const lead = v.band.reminderLeadDays;
  if (v.balance > 0) {
    if (lead > 0 && left !== null && left <= lead) {
      if (!s.daysLeftSent) reminders.push({ kind: 'days-left', meter: v.meter, key: `days-left:${day}`, ts: v.now, data: { daysLeft: left, balance: v.balance } });
      s.daysLeftSent = true;
    } else {
      // The forecast is above the lead again (a top-up): the next low spell is reminded again.
      s.daysLeftSent = false;
    }
  }
  if (v.balance < 0) {
    const every = v.band.arrearsEveryDays;
    if (every > 0 && (s.arrearsDay === null || day - s.arrearsDay >= every)) {
      s.arrearsDay = day;
      reminders.push({ kind: 'arrears', meter: v.meter, key: `arrears:${day}`, ts: v.now, data: { debt: -v.balance, balance: v.balance } });
    }
  } else {
    s.arrearsDay = null;
  }
  return { state: s, reminders };
}

export function topUpReceipt(meter: string, entryId: number, ts: number, amount: number, balance: number): Reminder {
  return { kind: 'topup-receipt', meter, key: `topup:${entryId}`, ts, data: { amount, balance } };
}

/** From the policy's `disconnect-scheduled` event: the notice, keyed by the instant of the trip. */
export function disconnectNotice(meter: string, ts: number, at: number, balance: number, reason: string): Reminder {
  return { kind: 'disconnect-notice', meter, key: `disconnect:${at}`, ts, data: { at, balance, reason } };
}
