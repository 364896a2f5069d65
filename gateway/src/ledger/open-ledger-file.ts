/**
 * Open the ledger's connection to the gateway's SQLite file, which the outbox may have created
 * already (or may create later). Never create over, repair or recreate an existing file: nothing
 * is written until the file has been shown to be a healthy prepaid-edge file of a ledger schema
 * this build knows.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrepaidError } from '@prepaid-edge/protocols';
import { openConnection, type Connection } from './connection.js';
import { storeError } from './errors.js';
import { corruptMessage, quickCheckProblems } from '../store/quick-check.js';
import { APPLICATION_ID, LEDGER_SCHEMA_VERSION, migrateLedger, readLedgerVersion } from './schema.js';

export interface LedgerFileOptions {
  /** 'full' (default) survives power loss; 'normal' survives a process crash only. */
  synchronous?: 'full' | 'normal';
  /** How long to wait for another connection's write lock (ms, default 2000). */
  busyTimeoutMs?: number;
  /** 'quick' (default) runs PRAGMA quick_check on an existing file before using it. */
  integrityCheck?: 'quick' | 'none';
}

export async function openLedgerFile(path: string, opts: LedgerFileOptions = {}): Promise<Connection> {
  const exists = fileExists(path);
  if (!exists) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (e) {
      throw new PrepaidError('E_STORE_OPEN', `${path}: cannot create the directory for the ledger: ${(e as Error).message}`, { path }, { cause: e });
    }
  }
  let db: Connection;
  try {
    db = await openConnection(path, !exists);
  } catch (e) {
    throw storeError('E_STORE_OPEN', 'cannot open the ledger database', path, e);
  }
  try {
    await prepare(db, path, exists, opts);
    return db;
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

function fileExists(path: string): boolean {
  try {
    if (!statSync(path).isFile()) throw new PrepaidError('E_STORE_OPEN', `${path}: is not a regular file`, { path });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    if (e instanceof PrepaidError) throw e;
    throw new PrepaidError('E_STORE_OPEN', `${path}: cannot stat the ledger file: ${(e as Error).message}`, { path }, { cause: e });
  }
}

async function prepare(db: Connection, path: string, existed: boolean, opts: LedgerFileOptions): Promise<void> {
  let version: number;
  try {
    await db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 2000))}`);
    const appId = (await db.get<{ application_id: number }>('PRAGMA application_id'))?.application_id ?? 0;
    const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).map((r) => r.name);
    // application_id 0 is fine only for a file holding nothing but ledger tables (or nothing).
    if (appId !== APPLICATION_ID && (appId !== 0 || tables.some((t) => !t.startsWith('ledger_')))) {
      throw new PrepaidError('E_STORE_OPEN', `${path}: is a SQLite database but not a prepaid-edge file (application_id ${appId}, tables: ${tables.join(', ') || 'none'}); refusing to use it`, { path, applicationId: appId, tables });
    }
    if (existed && opts.integrityCheck !== 'none') await quickCheck(db, path);
    version = await readLedgerVersion(db);
  } catch (e) {
    throw storeError('E_STORE_OPEN', 'cannot read the ledger database', path, e);
  }
  if (version > LEDGER_SCHEMA_VERSION) {
    throw new PrepaidError('E_STORE_OPEN', `${path}: written by a newer gateway (ledger schema version ${version}; this build knows up to ${LEDGER_SCHEMA_VERSION}); refusing to use it`, { path, schemaVersion: version, supported: LEDGER_SCHEMA_VERSION });
  }
  try {
    const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
    if (mode?.journal_mode !== 'wal') throw new Error(`journal_mode is ${mode?.journal_mode ?? '?'}, WAL was refused`);
    await db.exec(`
      PRAGMA synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'};
      PRAGMA foreign_keys = ON;
      PRAGMA cache_size = -16000;
      PRAGMA temp_store = MEMORY;
    `);
    await migrateLedger(db, version);
  } catch (e) {
    throw storeError('E_STORE_OPEN', 'cannot prepare the ledger database', path, e);
  }
}

async function quickCheck(db: Connection, path: string): Promise<void> {
  const problems = await quickCheckProblems(db);
  if (problems.length > 0) throw new PrepaidError('E_STORE_CORRUPT', corruptMessage(path, problems), { path, problems });
}
