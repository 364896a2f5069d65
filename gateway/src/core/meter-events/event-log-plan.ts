/**
 * Walking a meter's event log: the meter numbers its events 1, 2, ... (eventCounter = the newest's
 * seq) and holds the newest `held` of them, index 0 = newest. Given the last seq the gateway stored,
 * which indices to read, oldest first, and how many events the meter overwrote before the gateway
 * came to read them. Pure.
 */
export interface EventLogPlan {
  /** Indices to select, oldest first. */
  indices: number[];
  /** Events newer than `lastSeq` the meter no longer holds (its log wrapped while nobody read it). */
  lost: number;
  /** The meter's counter is below what the gateway stored: another meter, or its memory was reset. */
  reset: boolean;
}

export function eventLogPlan(lastSeq: number | undefined, counter: number, held: number): EventLogPlan {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`eventCounter ${counter}: not a count`);
  if (!Number.isSafeInteger(held) || held < 0) throw new RangeError(`eventLogCount ${held}: not a count`);
  const reset = lastSeq !== undefined && counter < lastSeq;
  const from = reset || lastSeq === undefined ? 0 : lastSeq;
  const newer = counter - from;
  const n = Math.min(newer, held, counter);
  const indices = Array.from({ length: n }, (_, i) => n - 1 - i);
  return { indices, lost: Math.max(0, newer - n), reset };
}

/** The events of a walk to store: newer than `lastSeq` (all after a reset), each seq once, in seq order. */
export function newEvents<E extends { seq: number }>(read: readonly E[], lastSeq: number | undefined, reset: boolean): E[] {
  const from = reset || lastSeq === undefined ? 0 : lastSeq;
  const bySeq = new Map<number, E>();
  for (const e of read) if (e.seq > from && !bySeq.has(e.seq)) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
