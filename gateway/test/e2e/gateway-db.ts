/** The gateway's SQLite file read from outside, as a technician's sqlite3 would: a connection of the test's own. */
import { existsSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import sqlite3 from 'sqlite3';
import { waitFor } from '../uplink/helpers.js';

export interface OutboxRow {
  meter: string;
  seq: number;
  ts: number;
  v: string;
}

export interface GatewayDb {
  /** meter_seq: the last seq handed out to each meter (committed). */
  lastSeqs(): Promise<Map<string, number>>;
  /** Readings still waiting in the outbox. */
  pending(): Promise<OutboxRow[]>;
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** PRAGMA integrity_check, joined ("ok" when healthy). */
  integrity(): Promise<string>;
  close(): Promise<void>;
}

/** Waits for the file to exist (the first gateway creates it), then opens it read-write (WAL needs the -shm). */
export async function openGatewayDb(t: ExecutionContext, path: string): Promise<GatewayDb> {
  await waitFor(`${path} created`, () => existsSync(path), 20_000);
  const db = await new Promise<sqlite3.Database>((ok, fail) => {
    const d = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (e) => (e ? fail(e) : ok(d)));
  });
  let closed = false;
  const close = () => (closed ? Promise.resolve() : ((closed = true), new Promise<void>((ok) => db.close(() => ok()))));
  t.teardown(close);
  const all = <T>(sql: string, params: unknown[] = []) => new Promise<T[]>((ok, fail) => db.all(sql, params, (e: Error | null, rows: T[]) => (e ? fail(e) : ok(rows))));
  return {
    all,
    lastSeqs: async () => {
      // Before the first gateway has migrated the file there is no table yet.
      const has = await all<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'meter_seq'");
      if (!has[0]?.n) return new Map();
      return new Map((await all<{ meter: string; last_seq: number }>('SELECT meter, last_seq FROM meter_seq')).map((r) => [r.meter, r.last_seq]));
    },
    pending: () => all<OutboxRow>('SELECT meter, seq, ts, v FROM readings ORDER BY id'),
    integrity: async () => (await all<{ integrity_check: string }>('PRAGMA integrity_check')).map((r) => r.integrity_check).join('; '),
    close,
  };
}

/** Sum of the last seqs: grows by one with every reading stored. */
export const seqTotal = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
