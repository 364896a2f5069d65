/** The per-device OpenPAYGO count memory as the ledger stores it: plain JSON. */
import { MAX_COUNT, PrepaidError } from '@prepaid-edge/protocols';

export interface OpenPaygoTokenMemory {
  v: 1;
  /** Highest count the device accepted. */
  lastCount: number;
  /** Counts near lastCount already used (protocols' usedCounts). */
  usedCounts: number[];
  /** When the memory last changed (epoch ms), for the audit trail. */
  updatedAt: number | null;
}

function corrupt(path: string, message: string): PrepaidError {
  return new PrepaidError('E_VALUE_RANGE', `OpenPAYGO token memory: ${path} ${message}`, { path: `memory.${path}` });
}

const isCount = (c: unknown): c is number => Number.isInteger(c) && (c as number) >= 0 && (c as number) <= MAX_COUNT;

/** undefined / null = a device that took no token yet (starts at `initialCount`); damage throws. */
export function readOpenPaygoMemory(stored: unknown, initialCount: number): OpenPaygoTokenMemory {
  if (stored === undefined || stored === null) return { v: 1, lastCount: initialCount, usedCounts: [], updatedAt: null };
  if (typeof stored !== 'object' || Array.isArray(stored)) throw corrupt('(root)', 'must be an object');
  const m = stored as Record<string, unknown>;
  if (m.v !== 1) throw corrupt('v', `must be 1, got ${JSON.stringify(m.v)}`);
  if (!isCount(m.lastCount)) throw corrupt('lastCount', `must be an integer 0..${MAX_COUNT}`);
  if (!Array.isArray(m.usedCounts) || !m.usedCounts.every(isCount)) throw corrupt('usedCounts', `must be an array of counts 0..${MAX_COUNT}`);
  if (m.updatedAt !== null && !Number.isFinite(m.updatedAt)) throw corrupt('updatedAt', 'must be epoch ms or null');
  return { v: 1, lastCount: m.lastCount, usedCounts: [...m.usedCounts], updatedAt: m.updatedAt as number | null };
}
