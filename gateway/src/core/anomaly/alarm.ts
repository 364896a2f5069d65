/**
 * Hysteresis: an alarm is raised once, after `raiseAfter` consecutive raise verdicts, and cleared
 * once, after `clearAfter` consecutive clear verdicts. A hold (between the two thresholds) breaks
 * the streak; an unknown (not judged: a hole, too little data) neither counts nor breaks it.
 */
import type { Verdict } from './types.js';

export interface AlarmState {
  active: boolean;
  streak: number;
  /** When it was raised (epoch ms), while active. */
  since: number | null;
}

export const idleAlarm = (): AlarmState => ({ active: false, streak: 0, since: null });

export function stepAlarm(s: AlarmState, v: Verdict, rule: { raiseAfter: number; clearAfter: number }, now: number): 'raised' | 'cleared' | undefined {
  if (v.state === 'unknown') return undefined;
  const towards = s.active ? 'clear' : 'raise';
  if (v.state !== towards) {
    s.streak = 0;
    return undefined;
  }
  s.streak++;
  if (s.streak < (s.active ? rule.clearAfter : rule.raiseAfter)) return undefined;
  s.streak = 0;
  s.active = !s.active;
  s.since = s.active ? now : null;
  return s.active ? 'raised' : 'cleared';
}
