/**
 * Gateway-side acceptance of one OpenPAYGO token for time-based credit. Pure: the device's count
 * memory goes in, the effect and the new memory come out; the caller applies the effect (see
 * time-credit.ts) and stores the memory in the same transaction.
 *
 * Effects: add time (days, added to what is left), set time (an absolute expiry: now + days; 0 days
 * locks at once), unlock for good, counter sync (no credit; moves the count forward).
 * Refusals: E_TOKEN_USED (count already used), E_TOKEN_OLD (too far behind the last count),
 * E_TOKEN_CRC (matches no count: wrong key, starting code or a mistyped digit), E_TOKEN_FORMAT.
 */
import { decodeOpenPaygoToken, isPrepaidError, type OpenPaygoDecoded } from '@prepaid-edge/protocols';
import { readOpenPaygoMemory, type OpenPaygoTokenMemory } from './openpaygo-memory.js';

export const DAY_MS = 86_400_000;

export type OpenPaygoRejectCode = 'E_TOKEN_CRC' | 'E_TOKEN_USED' | 'E_TOKEN_OLD' | 'E_TOKEN_FORMAT';

export type OpenPaygoEffect =
  | { kind: 'add-time'; days: number; ms: number }
  | { kind: 'set-time'; days: number; expiresAt: number }
  | { kind: 'unlock-forever' }
  | { kind: 'counter-sync' };

export interface OpenPaygoAcceptInput {
  token: string;
  /** 16 bytes or 32 hex digits. */
  key: Buffer | string;
  startingCode: number;
  /** What the ledger stored last time (undefined: no token accepted yet). */
  memory: unknown | undefined;
  /** Set-time tokens count from here; recorded as memory.updatedAt. */
  now: number;
  /** Default: inferred from the token length (15 or 20 digits). */
  restrictedDigits?: boolean;
  /** Default: inferred from the token length (12 or 20 digits). */
  extended?: boolean;
  /** lastCount of a device that has no memory yet (default 0). */
  initialCount?: number;
}

export type OpenPaygoAcceptResult =
  | { ok: true; effect: OpenPaygoEffect; memory: unknown; count: number }
  | { ok: false; reason: OpenPaygoRejectCode; message: string };

function effectOf(r: OpenPaygoDecoded, now: number): OpenPaygoEffect {
  switch (r.type) {
    case 'ADD_TIME':
      return { kind: 'add-time', days: r.value!, ms: r.value! * DAY_MS };
    case 'SET_TIME':
      return { kind: 'set-time', days: r.value!, expiresAt: now + r.value! * DAY_MS };
    case 'DISABLE_PAYG':
      return { kind: 'unlock-forever' };
    case 'COUNTER_SYNC':
      return { kind: 'counter-sync' };
  }
}

/** Token problems come back as `{ ok: false }`; bad settings (key, starting code) or damaged memory throw. */
export function acceptOpenPaygoToken(input: OpenPaygoAcceptInput): OpenPaygoAcceptResult {
  const memory = readOpenPaygoMemory(input.memory, input.initialCount ?? 0);
  let r: OpenPaygoDecoded;
  try {
    r = decodeOpenPaygoToken(input.token, {
      key: input.key,
      startingCode: input.startingCode,
      lastCount: memory.lastCount,
      usedCounts: memory.usedCounts,
      ...(input.restrictedDigits === undefined ? {} : { restrictedDigitSet: input.restrictedDigits }),
      ...(input.extended === undefined ? {} : { extended: input.extended }),
    });
  } catch (e) {
    if (!isPrepaidError(e) || (e.code !== 'E_TOKEN_CRC' && e.code !== 'E_TOKEN_FORMAT')) throw e;
    const reason = e.context.reason;
    const code = reason === 'already-used' ? 'E_TOKEN_USED' : reason === 'too-old' ? 'E_TOKEN_OLD' : e.code;
    return { ok: false, reason: code, message: e.message };
  }
  const next: OpenPaygoTokenMemory = { v: 1, lastCount: r.lastCount, usedCounts: r.usedCounts, updatedAt: input.now };
  return { ok: true, effect: effectOf(r, input.now), memory: next, count: r.count };
}
