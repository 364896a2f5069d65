/**
 * What each line of the console's event log is, so routine bookkeeping does not bury what a
 * technician must see: `alarm` (something is wrong), `change` (something happened: a relay moved,
 * a top-up, a restart) and `routine` (per-reading bookkeeping: the minute's charge, the prepaid
 * meter's threshold rewritten after it; each account's daily `credit-rating`). The log hides `routine` unless asked (`?routine=true`).
 */
export type EventKind = 'alarm' | 'change' | 'routine';

const ALARM_EVENTS = new Set(['comm-lost', 'read-rejected', 'readings-dropped', 'counter-reset', 'relay-mismatch', 'relay-unavailable', 'relay-opened-by-meter', 'tamper', 'alarm', 'keypad-token-unbooked', 'anomaly', 'max-demand-exceeded']);
const ROUTINE_AUDIT = new Set(['charge', 'meter-credit-sync']);
/** The daily rating pass: one per account whose score moved (a class change is `customer-grade-changed`). */
const ROUTINE_EVENTS = new Set(['credit-rating']);

export function eventKind(type: string): EventKind {
  if (ROUTINE_EVENTS.has(type)) return 'routine';
  return ALARM_EVENTS.has(type) ? 'alarm' : 'change';
}

export function auditKind(action: string): EventKind {
  if (ROUTINE_AUDIT.has(action)) return 'routine';
  return action === 'tamper' ? 'alarm' : 'change';
}
