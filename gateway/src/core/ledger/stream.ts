/**
 * The ledger as a stream (docs/mqtt.md#ledger): every ledger entry, of every kind, forwarded in
 * order with a per-gateway `seq`. Pure: the shapes, the payload and its parser, shared by the
 * gateway's feed and the reference head end.
 *
 * `seq` is the entry's position in the gateway's ledger: the entry with the n-th smallest id has
 * seq n. Entries are never deleted (append-only triggers) and ids are handed out in commit order
 * (one writer at a time, AUTOINCREMENT), so the position of an entry never changes once it is
 * committed: gap-free, monotonic, the same after any restart, with nothing extra written per entry.
 */
import type { StoredEntry } from '../credit/contracts.js';

/** How far the stream got: every entry with id <= `entry` has been given a seq, the last being `seq`. */
export interface StreamCursor {
  entry: number;
  seq: number;
}

export const STREAM_START: StreamCursor = Object.freeze({ entry: 0, seq: 0 });

export interface StreamEntry extends StoredEntry {
  seq: number;
}

/** One entry as it travels (docs/mqtt.md#ledger). */
export interface StreamEntryJson {
  seq: number;
  id: number;
  meter: string;
  kind: string;
  amount: number;
  balanceAfter: number;
  ts: number;
  cause: Record<string, unknown>;
}

export interface LedgerMessage {
  gateway: string;
  entries: StreamEntryJson[];
}

/** Give the rows read after `cursor` (oldest first) their seqs. */
export function numberEntries(cursor: StreamCursor, rows: readonly StoredEntry[]): StreamEntry[] {
  return rows.map((r, i) => ({ ...r, seq: cursor.seq + i + 1 }));
}

/** The cursor after the last of `entries` (or `cursor` itself when there are none). */
export function cursorAfter(cursor: StreamCursor, entries: readonly StreamEntry[]): StreamCursor {
  const last = entries.at(-1);
  return last ? { entry: last.id, seq: last.seq } : cursor;
}

export function ledgerPayload(gateway: string, entries: readonly StreamEntry[]): string {
  return JSON.stringify({
    gateway,
    entries: entries.map((e) => ({ seq: e.seq, id: e.id, meter: e.meter, kind: e.kind, amount: e.amount, balanceAfter: e.balanceAfter, ts: e.ts, cause: e.cause })),
  } satisfies LedgerMessage);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Parse a ledger message; a malformed one is refused whole (`error` says which field). */
export function parseLedgerMessage(text: string): { ok: true; message: LedgerMessage } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const m = raw as { gateway?: unknown; entries?: unknown };
  if (typeof m !== 'object' || m === null || typeof m.gateway !== 'string' || !Array.isArray(m.entries)) return { ok: false, error: 'gateway and entries[] are required' };
  for (const [i, e] of (m.entries as unknown[]).entries()) {
    const x = e as Partial<StreamEntryJson> | null;
    if (typeof x !== 'object' || x === null) return { ok: false, error: `entries[${i}]: not an object` };
    for (const k of ['seq', 'id', 'amount', 'balanceAfter', 'ts'] as const) if (!isInt(x[k])) return { ok: false, error: `entries[${i}].${k}: not an integer` };
    if (typeof x.meter !== 'string' || typeof x.kind !== 'string') return { ok: false, error: `entries[${i}]: meter and kind must be strings` };
    if (typeof x.cause !== 'object' || x.cause === null) return { ok: false, error: `entries[${i}].cause: not an object` };
  }
  return { ok: true, message: m as LedgerMessage };
}
