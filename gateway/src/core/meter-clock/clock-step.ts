/**
 * A step of the gateway's own wall clock (an NTP sync on a Pi without RTC, an operator's `date -s`):
 * wall time moved by more than monotonic time between two looks. Pure.
 */
export interface ClockLook {
  /** Wall clock, epoch ms. */
  wall: number;
  /** Monotonic ms. */
  mono: number;
}

/** How far the wall clock jumped between two looks, ms (positive = forward); 0 within `toleranceMs`. */
export function clockStep(prev: ClockLook, cur: ClockLook, toleranceMs: number): number {
  const step = cur.wall - prev.wall - (cur.mono - prev.mono);
  return Math.abs(step) >= toleranceMs ? step : 0;
}

/**
 * Whether the wall clock can be trusted to set meters by: not before `floorMs` (e.g. the release's
 * build date). A Pi that booted without network starts near 1970 or at its last shutdown; pushing
 * that to the meters would put every meter's events and tariff periods in the wrong year.
 */
export function wallClockPlausible(now: number, floorMs: number): boolean {
  return Number.isFinite(now) && now >= floorMs;
}
