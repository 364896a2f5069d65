/**
 * Reconnect delay: exponential with jitter, always within [minMs, maxMs]. Attempt n waits between
 * half and all of min(maxMs, minMs * 2^(n+1)), so a fleet that lost the same broker does not come
 * back in lock-step, even once every gateway has reached the cap.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.max(minMs, maxMs);
  const base = Math.min(cap, minMs * 2 ** Math.min(Math.max(0, attempt) + 1, 52));
  const jittered = base * (0.5 + 0.5 * Math.min(1, Math.max(0, random())));
  return Math.round(Math.min(cap, Math.max(minMs, jittered)));
}
