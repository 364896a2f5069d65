/**
 * Open the outbox file safely: never create over, repair, or recreate an existing file. Everything
 * that could modify the file (WAL switch, migrations) runs only after the file has been shown to be
 * a healthy outbox of a schema version this build knows.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StorageConfig } from '../config/types.js';
import { GatewayError, storeError } from './errors.js';
import { APPLICATION_ID, SCHEMA_VERSION, migrate, readSchemaVersion } from './schema.js';
import { openDb, type Db } from './sqlite.js';
import { acquireOwner } from './owner-lock.js';
import { corruptMessage, quickCheckProblems } from './quick-check.js';

export interface OpenOptions {
  /** 'quick' (default) runs PRAGMA quick_check on an existing file before using it. */
  integrityCheck?: 'quick' | 'none';
  /** How long to wait for another process's lock before failing (ms, default 2000). */
  busyTimeoutMs?: number;
}

export async function openDatabase(cfg: StorageConfig, opts: OpenOptions = {}): Promise<Db> {
  const path = cfg.path;
  const exists = fileExists(path);
  if (!exists) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (e) {
      throw storeError('E_STORE_OPEN', 'cannot create the directory for the database', path, e);
    }
  }
  const release = await acquireOwner(path);
  let db: Db;
  try {
    db = await openDb(path, !exists);
  } catch (e) {
    await release();
    throw storeError('E_STORE_OPEN', 'cannot open the database', path, e);
  }
  const close = db.close.bind(db);
  db.close = async () => {
    try {
      await close();
    } finally {
      await release();
    }
  };
  try {
    await prepare(db, cfg, exists, opts);
    return db;
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

function fileExists(path: string): boolean {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new GatewayError('E_STORE_OPEN', `${path}: is not a regular file`, { path });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw storeError('E_STORE_OPEN', 'cannot stat the database file', path, e);
  }
}

async function prepare(db: Db, cfg: StorageConfig, existed: boolean, opts: OpenOptions): Promise<void> {
  const path = cfg.path;
  // Normal locking: the ledger shares this file on its own connection. Single ownership of the
  // outbox (seqs are cached in memory) is the owner lock's job (owner-lock.ts).
  await db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 2000))};`);
  let version: number;
  try {
    const appId = (await db.get<{ application_id: number }>('PRAGMA application_id'))?.application_id ?? 0;
    const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).map((r) => r.name);
    if (appId !== APPLICATION_ID && (appId !== 0 || tables.length > 0)) {
      throw new GatewayError('E_STORE_OPEN', `${path}: is a SQLite database but not a prepaid-edge outbox (application_id ${appId}, tables: ${tables.join(', ') || 'none'}); refusing to use it`, { path, applicationId: appId, tables });
    }
    if (existed && opts.integrityCheck !== 'none') await quickCheck(db, path);
    version = await readSchemaVersion(db);
  } catch (e) {
    throw storeError('E_STORE_OPEN', 'cannot read the database', path, e);
  }
  if (version > SCHEMA_VERSION) {
    throw new GatewayError('E_STORE_OPEN', `${path}: written by a newer gateway (schema version ${version}; this build knows up to ${SCHEMA_VERSION}); refusing to use it`, { path, schemaVersion: version, supported: SCHEMA_VERSION });
  }
  try {
    const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
    if (mode?.journal_mode !== 'wal') throw new Error(`journal_mode is ${mode?.journal_mode ?? '?'}, WAL was refused`);
    await db.exec(`
      PRAGMA synchronous = ${cfg.synchronous === 'normal' ? 'NORMAL' : 'FULL'};
      PRAGMA journal_size_limit = 67108864;
      PRAGMA wal_autocheckpoint = 4000;
      PRAGMA cache_size = -2000;
      PRAGMA temp_store = MEMORY;
    `);
    await migrate(db, version);
  } catch (e) {
    throw storeError('E_STORE_OPEN', 'cannot prepare the database', path, e);
  }
}

async function quickCheck(db: Db, path: string): Promise<void> {
  const problems = await quickCheckProblems(db);
  if (problems.length > 0) throw new GatewayError('E_STORE_CORRUPT', corruptMessage(path, problems), { path, problems });
}
