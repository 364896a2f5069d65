/**
 * The ledger stream's side of the ledger file: entries after a cursor, numbered with their stream
 * seq (core/ledger/stream.ts: seq = position in the append-only entries table), and the delivered
 * cursor, kept in `ledger_meta` (`stream_entry`, `stream_seq`, written together in one statement).
 *
 * Why a cursor over ledger_entries and not a copy in the outbox: the entry is already durable, in
 * the same transaction as its balance, and can never be deleted; a copy would be a second write of
 * every entry, on another connection (the outbox's), so not in the entry's transaction, and subject
 * to the outbox's overflow policy, which drops the oldest rows. A cursor that moves only over what
 * the broker acknowledged cannot lose an entry, and reading in id order cannot reorder one.
 */
import type { StoredEntry } from '../../../core/credit/contracts.js';
import { numberEntries, STREAM_START, type StreamCursor, type StreamEntry } from '../../../core/ledger/stream.js';
import type { Connection } from './connection.js';
import { toEntry, type EntryRowDb } from './rows.js';

const SQL = {
  after: 'SELECT id, meter, kind, amount, ts, cause, balance_after FROM ledger_entries WHERE id > ? ORDER BY id LIMIT ?',
  cursor: "SELECT key, value FROM ledger_meta WHERE key IN ('stream_entry', 'stream_seq')",
  save: "INSERT INTO ledger_meta (key, value) VALUES ('stream_entry', ?), ('stream_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
} as const;

export async function readStreamCursor(db: Connection): Promise<StreamCursor> {
  const rows = new Map((await db.all<{ key: string; value: number }>(SQL.cursor)).map((r) => [r.key, r.value]));
  const entry = rows.get('stream_entry');
  const seq = rows.get('stream_seq');
  return entry === undefined || seq === undefined ? STREAM_START : { entry, seq };
}

/** At most `limit` entries after `cursor`, oldest first, each with its seq. */
export async function readStreamAfter(db: Connection, cursor: StreamCursor, limit: number): Promise<StreamEntry[]> {
  const rows: StoredEntry[] = (await db.all<EntryRowDb>(SQL.after, [cursor.entry, limit])).map(toEntry);
  return numberEntries(cursor, rows);
}

export async function saveStreamCursor(db: Connection, c: StreamCursor): Promise<void> {
  await db.run(SQL.save, [c.entry, c.seq]);
}
