/**
 * "Accepted once": a meter remembers the TIDs of the last N accepted tokens (N >= 50) and rejects a
 * token whose TID it already holds, or, once the memory is full, one older than the oldest it holds.
 * Pure: the memory goes in and the new memory comes out; the caller persists it.
 */
import { checkTid } from './tid.js';

export const TID_MEMORY_SIZE = 50;

/** Remembered TIDs, ascending, no duplicates, at most `capacity` entries. */
export type TidMemory = readonly number[];

export type TidVerdict =
  | { accepted: true; memory: TidMemory }
  | { accepted: false; reason: 'used' | 'old'; memory: TidMemory };

/** Sorts, de-duplicates and keeps the newest `capacity` TIDs (tolerates memory loaded from storage). */
export function normalizeTidMemory(memory: readonly number[], capacity = TID_MEMORY_SIZE): TidMemory {
  memory.forEach(checkTid);
  const sorted = [...new Set(memory)].sort((a, b) => a - b);
  return sorted.slice(Math.max(0, sorted.length - capacity));
}

export function acceptTid(memory: TidMemory, tid: number, capacity = TID_MEMORY_SIZE): TidVerdict {
  checkTid(tid);
  const current = normalizeTidMemory(memory, capacity);
  if (current.includes(tid)) return { accepted: false, reason: 'used', memory: current };
  const oldest = current[0];
  if (current.length >= capacity && oldest !== undefined && tid < oldest)
    return { accepted: false, reason: 'old', memory: current };
  const next = [...current, tid].sort((a, b) => a - b);
  return { accepted: true, memory: next.slice(Math.max(0, next.length - capacity)) };
}
