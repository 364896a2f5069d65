/**
 * The per-meter STS "accepted once" memory as the ledger stores it: plain JSON. The TIDs are raw
 * minutes since the base date, so they are only comparable under one base date; a memory written
 * under another base date belongs to the meter's previous key revision and is started afresh.
 */
import { normalizeTidMemory, PrepaidError, STS_BASE_DATES, type StsBaseDate } from '@prepaid-edge/protocols';

export interface StsTokenMemory {
  v: 1;
  baseDate: StsBaseDate;
  /** TIDs of the last accepted tokens, ascending (at most the capacity, 50 by default). */
  tids: number[];
  /** When the memory last changed (epoch ms), for the audit trail. */
  updatedAt: number | null;
}

function corrupt(path: string, message: string): PrepaidError {
  return new PrepaidError('E_VALUE_RANGE', `STS token memory: ${path} ${message}`, { path: `memory.${path}` });
}

export function emptyStsMemory(baseDate: StsBaseDate): StsTokenMemory {
  return { v: 1, baseDate, tids: [], updatedAt: null };
}

/**
 * Reads a stored memory (undefined or null = a meter that never took a token). A damaged memory
 * throws rather than resetting: an empty memory would let every old token be entered again.
 */
export function readStsMemory(stored: unknown, baseDate: StsBaseDate, capacity: number): StsTokenMemory {
  if (stored === undefined || stored === null) return emptyStsMemory(baseDate);
  if (typeof stored !== 'object' || Array.isArray(stored)) throw corrupt('(root)', 'must be an object');
  const m = stored as Record<string, unknown>;
  if (m.v !== 1) throw corrupt('v', `must be 1, got ${JSON.stringify(m.v)}`);
  if (!STS_BASE_DATES.includes(m.baseDate as StsBaseDate)) throw corrupt('baseDate', `must be one of ${STS_BASE_DATES.join(', ')}`);
  if (!Array.isArray(m.tids) || !m.tids.every((t) => Number.isInteger(t) && t >= 0 && t <= 0xffffff))
    throw corrupt('tids', 'must be an array of 24-bit TIDs');
  if (m.updatedAt !== null && !Number.isFinite(m.updatedAt)) throw corrupt('updatedAt', 'must be epoch ms or null');
  if (m.baseDate !== baseDate) return emptyStsMemory(baseDate);
  return { v: 1, baseDate, tids: [...normalizeTidMemory(m.tids as number[], capacity)], updatedAt: m.updatedAt as number | null };
}
