/**
 * Open one of the gateway's SQLite files safely, for the outbox and the ledger alike (they share
 * the file on their own connections). Never create over, repair or recreate an existing file:
 * everything that could modify it (WAL switch, pragmas, migrations) runs only after the file has
 * been shown to be a healthy prepaid-edge file of a schema version this build knows.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { corruptMessage, quickCheckProblems } from './quick-check.js';

type Row = Record<string, unknown>;

/** What the opener needs of a connection (both the outbox's Db and the ledger's Connection fit). */
export interface SqlFile {
  get<T extends Row>(sql: string): Promise<T | undefined>;
  all<T extends Row>(sql: string): Promise<T[]>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenFileOptions {
  /** 'quick' (default) runs PRAGMA quick_check on an existing file before using it. */
  integrityCheck?: 'quick' | 'none';
  /** How long to wait for another connection's or process's lock (ms, default 2000). */
  busyTimeoutMs?: number;
}

type OpenCode = 'E_STORE_OPEN' | 'E_STORE_CORRUPT';

/** Who opens the file: its names in messages, its schema and its errors. */
export interface SqliteFileKind<C extends SqlFile> {
  /** In messages: `cannot create the directory for ${dir}`, `cannot stat ${file}`, `cannot open ${db}`, `not ${foreign}`. */
  names: { dir: string; file: string; db: string; foreign: string; schema: string };
  connect(path: string, create: boolean): Promise<C>;
  /** An existing file without our application_id is ours only if it holds nothing but these tables. */
  adoptable(tables: readonly string[]): boolean;
  applicationId: number;
  readVersion(db: C): Promise<number>;
  knownVersion: number;
  /** PRAGMAs after the WAL switch (synchronous, cache, ...). */
  pragmas: string;
  migrate(db: C, from: number): Promise<void>;
  /** A new error of this kind's class. */
  error(code: OpenCode, message: string, context: Record<string, unknown>, options?: { cause?: unknown }): Error;
  /** Wrap a SQLite failure as `code` (damaged-file codes become E_STORE_CORRUPT). */
  wrap(code: 'E_STORE_OPEN', what: string, path: string, cause: unknown): unknown;
  /** Taken before the connection opens, released after it closes (the outbox's owner lock). */
  lock?(path: string): Promise<() => Promise<void>>;
}

export async function openSqliteFile<C extends SqlFile>(path: string, kind: SqliteFileKind<C>, opts: OpenFileOptions = {}): Promise<C> {
  const exists = fileExists(path, kind);
  if (!exists) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (e) {
      throw kind.error('E_STORE_OPEN', `${path}: cannot create the directory for ${kind.names.dir}: ${(e as Error).message}`, { path }, { cause: e });
    }
  }
  const release = kind.lock ? await kind.lock(path) : undefined;
  let db: C;
  try {
    db = await kind.connect(path, !exists);
  } catch (e) {
    await release?.();
    throw kind.wrap('E_STORE_OPEN', `cannot open ${kind.names.db}`, path, e);
  }
  if (release) {
    const close = db.close.bind(db);
    db.close = async () => {
      try {
        await close();
      } finally {
        await release();
      }
    };
  }
  try {
    await prepare(db, path, exists, kind, opts);
    return db;
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

function fileExists(path: string, kind: SqliteFileKind<SqlFile>): boolean {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw kind.error('E_STORE_OPEN', `${path}: cannot stat ${kind.names.file}: ${(e as Error).message}`, { path }, { cause: e });
  }
  if (!isFile) throw kind.error('E_STORE_OPEN', `${path}: is not a regular file`, { path });
  return true;
}

async function prepare<C extends SqlFile>(db: C, path: string, existed: boolean, kind: SqliteFileKind<C>, opts: OpenFileOptions): Promise<void> {
  let version: number;
  try {
    await db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 2000))}`);
    const appId = (await db.get<{ application_id: number }>('PRAGMA application_id'))?.application_id ?? 0;
    const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).map((r) => r.name);
    if (appId !== kind.applicationId && (appId !== 0 || !kind.adoptable(tables))) {
      throw kind.error('E_STORE_OPEN', `${path}: is a SQLite database but not ${kind.names.foreign} (application_id ${appId}, tables: ${tables.join(', ') || 'none'}); refusing to use it`, { path, applicationId: appId, tables });
    }
    if (existed && opts.integrityCheck !== 'none') {
      const problems = await quickCheckProblems(db);
      if (problems.length > 0) throw kind.error('E_STORE_CORRUPT', corruptMessage(path, problems), { path, problems });
    }
    version = await kind.readVersion(db);
  } catch (e) {
    throw kind.wrap('E_STORE_OPEN', `cannot read ${kind.names.db}`, path, e);
  }
  if (version > kind.knownVersion) {
    throw kind.error('E_STORE_OPEN', `${path}: written by a newer gateway (${kind.names.schema} version ${version}; this build knows up to ${kind.knownVersion}); refusing to use it`, { path, schemaVersion: version, supported: kind.knownVersion });
  }
  try {
    const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
    if (mode?.journal_mode !== 'wal') throw new Error(`journal_mode is ${mode?.journal_mode ?? '?'}, WAL was refused`);
    await db.exec(kind.pragmas);
    await kind.migrate(db, version);
  } catch (e) {
    throw kind.wrap('E_STORE_OPEN', `cannot prepare ${kind.names.db}`, path, e);
  }
}
