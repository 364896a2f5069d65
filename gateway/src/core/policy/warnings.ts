import type { PolicyEvent } from '../credit/contracts.js';

/**
 * Low-credit warnings: one event per threshold crossed downward (balance < threshold), re-armed
 * once the balance is back above it (balance > threshold). `warned` is the highest index announced.
 */
export function lowCreditWarnings(thresholds: readonly number[], warned: number, balance: number): { warned: number; events: PolicyEvent[] } {
  const events: PolicyEvent[] = [];
  let w = warned;
  while (w >= 0 && balance > thresholds[w]!) w--;
  while (w + 1 < thresholds.length && balance < thresholds[w + 1]!) {
    w++;
    events.push({ type: 'low-credit', data: { index: w, threshold: thresholds[w], balance } });
  }
  return { warned: w, events };
}
