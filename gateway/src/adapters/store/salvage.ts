/**
 * Salvage what is intact from a damaged gateway database into a new file, table by table and row
 * by row, for `prepaid-gateway db recover`. The damaged file is opened read-only and never
 * changed. Generic over the file's own schema (the CREATE statements in its sqlite_master), so
 * tables added by later versions are carried over too; application_id and user_version are kept.
 *
 * Rows are read in rowid order straight from each table's b-tree (NOT INDEXED: a damaged index
 * must not hide intact rows). A read that fails at a damaged page is retried past it with a
 * growing stride until rows come back, and the rowid range skipped is reported as lost. Tables
 * WITHOUT ROWID are copied whole or reported unreadable. Nothing here decides whether the result
 * is good enough to use: the caller verifies the ledger on the recovered file and reports.
 */
import { existsSync } from 'node:fs';
import sqlite3 from 'sqlite3';
import { PrepaidError } from '@prepaid-edge/protocols';
import { openDb, type Db } from './sqlite.js';

export interface TableSalvage {
  table: string;
  /** Rows copied into the new file. */
  copied: number;
  /** Rows read but refused by the table's constraints (garbage from a damaged page). */
  rejected: number;
  /** Rowid ranges that could not be read (inclusive), in order. */
  lost: Array<{ from: number; to: number | null }>;
  /** The table could not be read at all (its schema or root page is damaged). */
  unreadable?: string;
}

export interface SalvageReport {
  source: string;
  target: string;
  tables: TableSalvage[];
  /** Schema objects (indexes, triggers) that could not be recreated. */
  skipped: string[];
  /** PRAGMA integrity_check of the new file: ['ok'] when healthy. */
  integrity: string[];
}

const CHUNK = 500;

function openReadOnly(path: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(db)));
  });
}
const all = <T>(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<T[]> =>
  new Promise((resolve, reject) => db.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))));
const close = (db: sqlite3.Database): Promise<void> => new Promise((resolve) => db.close(() => resolve()));
const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;

interface SchemaRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

export async function salvageDatabase(source: string, target: string): Promise<SalvageReport> {
  if (existsSync(target)) throw new Error(`${target} exists already; choose another --out`);
  const src = await openReadOnly(source);
  let dst: Db | undefined;
  try {
    src.configure('busyTimeout', 2000);
    // SQLite refuses a file shorter than its header's page count (a torn tail) as corrupt before
    // reading anything; writable_schema lifts that check. The connection is read-only: nothing is written.
    await all(src, 'PRAGMA writable_schema = ON');
    let schema: SchemaRow[];
    let appId: { application_id: number } | undefined;
    let userVersion: { user_version: number } | undefined;
    try {
      schema = await all<SchemaRow>(src, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid");
      [appId] = await all<{ application_id: number }>(src, 'PRAGMA application_id');
      [userVersion] = await all<{ user_version: number }>(src, 'PRAGMA user_version');
    } catch (e) {
      throw new PrepaidError('E_STORE_CORRUPT', `${source}: its schema (page 1) cannot be read (${(e as Error).message}): nothing can be salvaged from it row by row; keep the file for a specialist`, { path: source }, { cause: e });
    }
    dst = await openDb(target, true);
    await dst.exec(`PRAGMA application_id = ${appId?.application_id ?? 0}; PRAGMA user_version = ${userVersion?.user_version ?? 0}; PRAGMA journal_mode = WAL;`);
    const report: SalvageReport = { source, target, tables: [], skipped: [], integrity: [] };
    for (const s of schema.filter((r) => r.type === 'table')) await dst.exec(s.sql!);
    for (const s of schema.filter((r) => r.type === 'table')) report.tables.push(await copyTable(src, dst, s));
    // Indexes and triggers last, once the rows are in: a unique index that the salvaged rows
    // break (they never should) is reported, not fatal.
    for (const s of schema.filter((r) => r.type !== 'table')) {
      try {
        await dst.exec(s.sql!);
      } catch (e) {
        report.skipped.push(`${s.type} ${s.name}: ${(e as Error).message}`);
      }
    }
    report.integrity = (await dst.all<{ integrity_check: string }>('PRAGMA integrity_check')).map((r) => r.integrity_check);
    return report;
  } finally {
    await close(src);
    await dst?.close();
  }
}

async function copyTable(src: sqlite3.Database, dst: Db, s: SchemaRow): Promise<TableSalvage> {
  const out: TableSalvage = { table: s.name, copied: 0, rejected: 0, lost: [] };
  const withoutRowid = /\bWITHOUT\s+ROWID\b/i.test(s.sql ?? '');
  let columns: string[];
  try {
    columns = (await all<{ name: string }>(src, `PRAGMA table_info(${q(s.name)})`)).map((c) => c.name);
  } catch (e) {
    out.unreadable = (e as Error).message;
    return out;
  }
  const insert = `INSERT INTO ${q(s.name)} (${[...(withoutRowid ? [] : ['rowid']), ...columns].map(q).join(', ')}) VALUES (${[...(withoutRowid ? [] : ['rowid']), ...columns].map(() => '?').join(', ')})`;
  const put = async (rows: Record<string, unknown>[]) => {
    if (rows.length === 0) return;
    await dst.exec('BEGIN');
    for (const r of rows) {
      try {
        await dst.run(insert, [...(withoutRowid ? [] : [r.__rowid]), ...columns.map((c) => r[c])]);
        out.copied++;
      } catch {
        // A row the table's own constraints refuse is garbage read from a damaged or missing
        // page (zeros past a torn end read as NULLs): not copied, counted.
        out.rejected++;
      }
    }
    await dst.exec('COMMIT');
  };
  if (withoutRowid) {
    try {
      await put(await all(src, `SELECT * FROM ${q(s.name)}`));
    } catch (e) {
      out.unreadable = (e as Error).message;
    }
    return out;
  }
  const select = `SELECT rowid AS __rowid, * FROM ${q(s.name)} NOT INDEXED WHERE rowid > ? ORDER BY rowid LIMIT ${CHUNK}`;
  let after = Number.MIN_SAFE_INTEGER;
  let maxRowid: number | null;
  try {
    maxRowid = (await all<{ m: number | null }>(src, `SELECT max(rowid) AS m FROM ${q(s.name)}`))[0]?.m ?? null;
  } catch {
    maxRowid = null; // the rightmost page is damaged: probe on until nothing comes back
  }
  /** A read from `x` on gives a real row (past x) or cleanly nothing: no damage there. */
  const readsFrom = async (x: number): Promise<boolean> => {
    try {
      const r = await all<{ r: number }>(src, `SELECT rowid AS r FROM ${q(s.name)} NOT INDEXED WHERE rowid > ? ORDER BY rowid LIMIT 1`, [x]);
      return r.length === 0 || Number(r[0]!.r) > x;
    } catch {
      return false;
    }
  };
  const lose = (from: number, to: number | null): void => {
    const last = out.lost[out.lost.length - 1];
    if (last && last.to !== null && last.to + 1 >= from) last.to = to;
    else out.lost.push({ from, to });
  };
  /**
   * Past a damaged page: a doubling stride to get beyond it, then a binary search back to the
   * smallest start that reads cleanly, so intact rows right after the damage are kept. Returns
   * the new starting point, or undefined when nothing past it reads.
   */
  const skipDamage = async (after: number): Promise<number | undefined> => {
    let lo = after;
    let stride = 1;
    const limit = maxRowid ?? after + 2 ** 40;
    while (after + stride <= limit && !(await readsFrom(after + stride))) {
      lo = after + stride;
      stride *= 2;
    }
    if (after + stride > limit) {
      lose(after + 1, maxRowid);
      return undefined;
    }
    let hi = after + stride;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (await readsFrom(mid)) hi = mid;
      else lo = mid;
    }
    lose(after + 1, hi);
    return hi;
  };
  for (;;) {
    let rows: Record<string, unknown>[] | undefined;
    try {
      rows = await all(src, select, [after]);
    } catch {
      rows = undefined;
    }
    // A damaged page can also hand back rows out of order (garbage rowids): those at or below the
    // point reached are not real rows, and if nothing moves forward it is damage ahead.
    const forward = rows?.filter((r) => Number(r.__rowid) > after);
    if (rows && forward) out.rejected += rows.length - forward.length;
    if (!forward || (rows!.length > 0 && forward.length === 0)) {
      const next = await skipDamage(after);
      if (next === undefined) return out;
      after = next;
      continue;
    }
    if (forward.length === 0) return out;
    await put(forward);
    after = Math.max(after, ...forward.map((r) => Number(r.__rowid)));
  }
}
