/** When the gateway sets its meters' clocks: at start, on its schedule, and after its own clock stepped. Pure. */
export type ClockSyncCause = 'start' | 'schedule' | 'clock-step';

export interface ClockSyncState {
  /** Monotonic ms of the last sync; undefined = never this run. */
  lastSyncMono: number | undefined;
  intervalMs: number;
}

/** The reason to sync now, or undefined. `stepMs` is clockStep's answer for the last look. */
export function clockSyncDue(s: ClockSyncState, nowMono: number, stepMs: number): ClockSyncCause | undefined {
  // A step first: also when the first syncs waited for the clock to become plausible.
  if (stepMs !== 0) return 'clock-step';
  if (s.lastSyncMono === undefined) return 'start';
  if (nowMono - s.lastSyncMono >= s.intervalMs) return 'schedule';
  return undefined;
}
