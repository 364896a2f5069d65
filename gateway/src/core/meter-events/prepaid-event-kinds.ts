/**
 * The prepaid map's event table (input 25, `eventType`; firmware-ts/src/core/types.ts EVENT) as
 * names for the head end, and what eventValue means for each. Data: a test checks it against the
 * firmware's table.
 */
export const PREPAID_EVENT_KINDS: Readonly<Record<number, { kind: string; value?: string }>> = {
  1: { kind: 'relay-opened', value: 'reason: 1 remote, 2 backup threshold, 3 local' },
  2: { kind: 'relay-closed', value: 'reason: 1 remote, 2 button, 3 local' },
  3: { kind: 'relay-armed' },
  4: { kind: 'low-credit-1' },
  5: { kind: 'low-credit-2' },
  6: { kind: 'credit-exhausted' },
  7: { kind: 'emergency-credit', value: 'amount granted' },
  8: { kind: 'cover-opened' },
  9: { kind: 'magnetic-field' },
  10: { kind: 'bypass' },
  11: { kind: 'tamper-cleared' },
  12: { kind: 'standalone-entered' },
  13: { kind: 'standalone-left' },
  14: { kind: 'power-down' },
  15: { kind: 'power-up' },
  16: { kind: 'setting-changed', value: 'holding register address' },
  17: { kind: 'clock-set', value: 'clock change, s' },
  18: { kind: 'emergency-requested' },
  19: { kind: 'token-credit', value: 'Wh of the keypad token (map revision 2)' },
};

/** One entry of a meter's event log, as read. */
export interface MeterLogEntry {
  seq: number;
  type: number;
  /** Unix seconds by the meter's clock; 0 = its clock was not set. */
  seconds: number;
  value: number;
}

/** The data of the gateway's `meter-event` event for one log entry. */
export function meterEventData(e: MeterLogEntry): Record<string, unknown> {
  const known = PREPAID_EVENT_KINDS[e.type];
  return { seq: e.seq, kind: known?.kind ?? 'unknown', code: e.type, value: e.value, meterTs: e.seconds > 0 ? e.seconds * 1000 : null };
}
