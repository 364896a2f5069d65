/**
 * Pulse counting in whole Wh with no rounding: each S0 pulse is 1000/impulsesPerKwh Wh, kept as an
 * integer residue (1000 per pulse, impulsesPerKwh per Wh) so that no fraction is ever lost.
 */

export interface PulseTotals {
  wh: number;
  residue: number;
}

export function addPulse(wh: number, residue: number, impulsesPerKwh: number): PulseTotals {
  let r = residue + 1000;
  let w = wh;
  while (r >= impulsesPerKwh) {
    r -= impulsesPerKwh;
    w++;
  }
  return { wh: w, residue: r };
}

/** Wh a metering module's own register grew by since `lastWh` (a module reset or wrap counts nothing). */
export function moduleIncrement(lastWh: number, readingWh: number): number {
  if (lastWh < 0 || readingWh < lastWh) return 0;
  return readingWh - lastWh;
}

/** Energy per pulse in W*ms, for estimating power from pulse spacing. */
export function wmsPerPulse(impulsesPerKwh: number): number {
  return 3_600_000_000 / impulsesPerKwh;
}
