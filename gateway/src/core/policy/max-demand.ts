/**
 * Load limiting as a DLMS limiter (IC 71) does it: power above `limitW` for `overSeconds` opens the
 * relay (cause `max-demand`); `reconnectSeconds` later it closes again, if nothing else wants it
 * open. Pure: the caller feeds readings and timer wake-ups and carries the action out.
 *
 * Only readings count. A failed read is no reading, so it never trips; a reading without `power`
 * changes nothing; and two readings further apart than `overSeconds` restart the count, because
 * nobody saw the power in between.
 */

export interface MaxDemand {
  /** The limit, W. */
  limitW: number;
  /** Over the limit for this long (whole seconds) opens the relay; 0 = at the first reading over it. */
  overSeconds: number;
  /** The relay closes again this long after the trip. */
  reconnectSeconds: number;
}

export interface DemandState {
  /** First reading of the current run over the limit (epoch ms), or null. */
  overSince: number | null;
  /** Last reading seen (epoch ms), or null. */
  lastTs: number | null;
  /** When the limiter opened the relay, or null while it has not. */
  trippedAt: number | null;
  /** The highest power of the run that tripped (for the event). */
  peakW: number;
}

export const idleDemand = (): DemandState => ({ overSince: null, lastTs: null, trippedAt: null, peakW: 0 });

export interface DemandStep {
  state: DemandState;
  action?: { type: 'trip'; overMs: number; peakW: number } | { type: 'reconnect'; trippedAt: number };
  /** When to call `demandStep` again without a reading (the reconnect), or null. */
  wakeAt: number | null;
}

/** One input: a reading's power (undefined: a reading without power, or a timer wake-up at `now`). */
export function demandStep(s: DemandState, cfg: MaxDemand, now: number, powerW?: number): DemandStep {
  if (s.trippedAt !== null) {
    const at = s.trippedAt + cfg.reconnectSeconds * 1000;
    if (now >= at) return { state: idleDemand(), action: { type: 'reconnect', trippedAt: s.trippedAt }, wakeAt: null };
    return { state: s, wakeAt: at };
  }
  if (powerW === undefined || !Number.isFinite(powerW)) return { state: s, wakeAt: null };
  const gap = s.lastTs !== null && now - s.lastTs > cfg.overSeconds * 1000;
  if (powerW <= cfg.limitW) return { state: { ...s, overSince: null, lastTs: now, peakW: 0 }, wakeAt: null };
  const overSince = s.overSince === null || gap ? now : s.overSince;
  const peakW = overSince === now ? powerW : Math.max(s.peakW, powerW);
  const overMs = now - overSince;
  if (overMs >= cfg.overSeconds * 1000) {
    return { state: { overSince: null, lastTs: now, trippedAt: now, peakW }, action: { type: 'trip', overMs, peakW }, wakeAt: now + cfg.reconnectSeconds * 1000 };
  }
  return { state: { ...s, overSince, lastTs: now, peakW }, wakeAt: null };
}
