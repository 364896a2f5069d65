import { COUNTER_SYNC_VALUE, MAX_UNUSED_OLDER_TOKENS, PAYG_DISABLE_VALUE } from './constants.js';
import type { OpenPaygoTokenType } from './types.js';

/**
 * Count bookkeeping. Parity carries the token kind: ADD_TIME tokens sit on even counts,
 * SET_TIME / DISABLE_PAYG / COUNTER_SYNC on odd ones, so an add can never be replayed as a set.
 */

export function nextCount(count: number, type: OpenPaygoTokenType): number {
  const wantOdd = type !== 'ADD_TIME';
  return (count + 1) % 2 === (wantOdd ? 1 : 0) ? count + 1 : count + 2;
}

/** Kind of a token that matched at `count` with decoded `value`. */
export function typeAt(count: number, value: number): OpenPaygoTokenType {
  if (count % 2 === 0) return 'ADD_TIME';
  if (value === COUNTER_SYNC_VALUE) return 'COUNTER_SYNC';
  if (value === PAYG_DISABLE_VALUE) return 'DISABLE_PAYG';
  return 'SET_TIME';
}

export type CountVerdict = 'accept' | 'already-used' | 'too-old';

/**
 * Reference decoder rule: a token newer than lastCount is accepted; an older ADD_TIME is accepted
 * while unused and within MAX_UNUSED_OLDER_TOKENS; SET_TIME / DISABLE_PAYG / COUNTER_SYNC must be newer.
 * Deviation: the Python reference also accepts a COUNTER_SYNC up to MAX_TOKEN_JUMP counts older and
 * moves lastCount back to it, which re-opens every used ADD_TIME above that count to replay.
 */
export function judgeCount(count: number, type: OpenPaygoTokenType, lastCount: number, usedCounts: readonly number[]): CountVerdict {
  const used = usedCounts.includes(count);
  if (count > lastCount) return 'accept';
  if (type === 'ADD_TIME' && count > lastCount - MAX_UNUSED_OLDER_TOKENS && !used) return 'accept';
  return used || count === lastCount ? 'already-used' : 'too-old';
}

/** Device state after accepting a token at `count`; lastCount never moves back. */
export function stateAfter(
  count: number,
  type: OpenPaygoTokenType,
  lastCount: number,
  usedCounts: readonly number[],
): { lastCount: number; usedCounts: number[] } {
  const top = Math.max(lastCount, count);
  const bottom = Math.max(0, top - MAX_UNUSED_OLDER_TOKENS);
  const used = new Set<number>();
  if (type === 'ADD_TIME') {
    for (const c of [...usedCounts, count]) if (c >= bottom && c <= top) used.add(c);
  } else {
    // Any non-add token supersedes every older token still in the window.
    for (let c = bottom; c <= top; c++) used.add(c);
  }
  return { lastCount: top, usedCounts: [...used].sort((a, b) => a - b) };
}
