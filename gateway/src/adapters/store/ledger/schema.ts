/**
 * The ledger's tables and their migrations. They share a file with the outbox, so every name is
 * prefixed `ledger_` and the ledger tracks its own version in `ledger_meta` (the outbox's `meta`
 * table is never read or written here). Each migration runs in the transaction that bumps the version.
 */
import type { Connection } from './connection.js';

/** The file's `PRAGMA application_id` ("PPEG"), shared with the outbox so either may create the file. */
export const APPLICATION_ID = 0x50504547;

const KINDS = "'topup', 'consumption', 'standing-charge', 'emergency-credit-taken', 'emergency-credit-repaid', 'friendly-debt', 'adjustment'";

/** Append-only tables: any UPDATE or DELETE aborts, whoever issues it (also a sqlite3 shell). */
function appendOnly(table: string): string {
  return `
    CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only: rows are never updated'); END;
    CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only: rows are never deleted'); END;`;
}

/** Migration i takes the ledger schema from version i to i + 1. */
const MIGRATIONS: ReadonlyArray<string> = [
  `
  CREATE TABLE ledger_meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE ledger_accounts (
    meter TEXT PRIMARY KEY NOT NULL,
    customer TEXT NOT NULL,
    class TEXT NOT NULL,
    credit_unit TEXT NOT NULL CHECK (credit_unit IN ('currency', 'energy')),
    currency TEXT,
    balance INTEGER NOT NULL CHECK (typeof(balance) = 'integer'),
    state TEXT NOT NULL,
    cursor TEXT,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts BEGIN SELECT RAISE(ABORT, 'ledger_accounts rows are never deleted'); END;
  -- AUTOINCREMENT: an entry id is never reused
  CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    meter TEXT NOT NULL REFERENCES ledger_accounts (meter),
    kind TEXT NOT NULL CHECK (kind IN (${KINDS})),
    amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer'),
    ts INTEGER NOT NULL,
    cause TEXT NOT NULL,
    balance_after INTEGER NOT NULL CHECK (typeof(balance_after) = 'integer')
  );
  CREATE INDEX ledger_entries_meter ON ledger_entries (meter, id);
  ${appendOnly('ledger_entries')}
  CREATE TABLE ledger_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    meter TEXT,
    action TEXT NOT NULL,
    cause TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  CREATE INDEX ledger_audit_meter ON ledger_audit (meter, id);
  ${appendOnly('ledger_audit')}
  CREATE TABLE ledger_commands (
    id TEXT PRIMARY KEY NOT NULL,
    type TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    outcome TEXT NOT NULL
  ) WITHOUT ROWID;
  ${appendOnly('ledger_commands')}
  CREATE TABLE ledger_token_memory (
    meter TEXT NOT NULL REFERENCES ledger_accounts (meter),
    scheme TEXT NOT NULL CHECK (scheme IN ('sts', 'openpaygo')),
    memory TEXT NOT NULL,
    PRIMARY KEY (meter, scheme)
  ) WITHOUT ROWID;
  `,
  // Settings changed by signed commands (tariff and policy versions, relay overrides): the latest
  // value per key, so they survive a restart; every change is also in the audit log.
  `
  CREATE TABLE ledger_settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
  `,
];

export const LEDGER_SCHEMA_VERSION = MIGRATIONS.length;

export async function readLedgerVersion(db: Connection): Promise<number> {
  const hasMeta = await db.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'ledger_meta'");
  if (!hasMeta) return 0;
  return (await db.get<{ value: number }>("SELECT value FROM ledger_meta WHERE key = 'schema_version'"))?.value ?? 0;
}

/** Run the migrations from `from` up to LEDGER_SCHEMA_VERSION, each in its own transaction. */
export async function migrateLedger(db: Connection, from: number): Promise<void> {
  for (let v = from; v < LEDGER_SCHEMA_VERSION; v++) {
    await db.exec('BEGIN IMMEDIATE');
    try {
      await db.exec(MIGRATIONS[v]!);
      await db.exec(`INSERT INTO ledger_meta (key, value) VALUES ('schema_version', ${v + 1}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
      // Mark a file the ledger created; a file the outbox created already carries the same id.
      const appId = (await db.get<{ application_id: number }>('PRAGMA application_id'))?.application_id ?? 0;
      if (appId === 0) await db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
      await db.exec('COMMIT');
    } catch (e) {
      await db.exec('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }
}
