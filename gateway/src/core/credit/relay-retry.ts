/**
 * When a relay command failed (the readback never showed the commanded state, or the meter could
 * not be reached), the gateway tries again slowly for as long as the fault lasts: the first retry
 * after `initialMs`, each wait twice the last, never more than `maxMs`. A few commands an hour at
 * most, so a stuck contactor never floods the bus. Pure: the adapter (credit/enforcement) keeps the
 * timer and the count.
 */
export interface RelayRetryPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RELAY_RETRY: RelayRetryPolicy = { initialMs: 60_000, maxMs: 30 * 60_000 };

/** The wait before retry number `retry` (1 = the first retry after the failed command). */
export function relayRetryDelay(retry: number, p: RelayRetryPolicy = DEFAULT_RELAY_RETRY): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be a positive integer, got ${retry}`);
  const exp = Math.min(retry - 1, 30);
  return Math.min(p.maxMs, p.initialMs * 2 ** exp);
}
