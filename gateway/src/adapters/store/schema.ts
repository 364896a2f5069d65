/**
 * The outbox schema and its migrations. `meta.schema_version` says which migrations have run;
 * each migration runs in the transaction that bumps the version, so a crash never leaves half of one.
 */
import type { Db } from './sqlite.js';

/** `PRAGMA application_id` of every outbox file ("PPEG"), so a foreign SQLite file is recognised. */
export const APPLICATION_ID = 0x50504547;

/** Migration i takes the schema from version i to i + 1. */
const MIGRATIONS: ReadonlyArray<(db: Db) => Promise<void>> = [
  async (db) => {
    await db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
      -- last seq given to each meter; rows here are never deleted, so seqs are never reused
      CREATE TABLE meter_seq (meter TEXT PRIMARY KEY NOT NULL, last_seq INTEGER NOT NULL) WITHOUT ROWID;
      -- AUTOINCREMENT: ids are never reused either, even after every row was deleted
      CREATE TABLE readings (id INTEGER PRIMARY KEY AUTOINCREMENT, meter TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, v TEXT NOT NULL);
      CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, type TEXT NOT NULL, meter TEXT, data TEXT NOT NULL);
      INSERT INTO meta (key, value) VALUES ('dropped', 0), ('reading_count', 0), ('reading_bytes', 0), ('event_count', 0);
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Parts of the gateway that keep tables in the outbox's file, each with its own migrations and its
 * own version in `meta` (`schema_version:<part>`), as the ledger keeps its own: a part added later
 * never changes what `schema_version` says about the outbox's own tables.
 */
const PARTS: Readonly<Record<string, ReadonlyArray<(db: Db) => Promise<void>>>> = {
  // Frozen readings (daily/monthly register snapshots, adapters/frozen): kept as history, one per
  // meter, kind and period (the primary key is the "never twice"); each is forwarded as an outbox event.
  frozen: [
    async (db) => {
      await db.exec(`
        CREATE TABLE frozen (meter TEXT NOT NULL, kind TEXT NOT NULL, period TEXT NOT NULL, at INTEGER NOT NULL, v TEXT NOT NULL, PRIMARY KEY (meter, kind, period)) WITHOUT ROWID;
      `);
    },
  ],
};

/** Run each part's migrations from its stored version, each in its own transaction. */
async function migrateParts(db: Db): Promise<void> {
  for (const [part, steps] of Object.entries(PARTS)) {
    const key = `schema_version:${part}`;
    const from = (await db.get<{ value: number }>('SELECT value FROM meta WHERE key = ?', [key]))?.value ?? 0;
    for (let v = from; v < steps.length; v++) await migrationStep(db, key, v, steps[v]!);
  }
}

export async function readSchemaVersion(db: Db): Promise<number> {
  const hasMeta = await db.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  if (!hasMeta) return 0;
  const row = await db.get<{ value: number }>("SELECT value FROM meta WHERE key = 'schema_version'");
  return row?.value ?? 0;
}

/** Run the migrations from `from` up to SCHEMA_VERSION, each in its own transaction. */
export async function migrate(db: Db, from: number): Promise<void> {
  for (let v = from; v < SCHEMA_VERSION; v++) {
    await migrationStep(db, 'schema_version', v, async (d) => {
      await MIGRATIONS[v]!(d);
      if (v === 0) await d.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    });
  }
  await migrateParts(db);
}

/** One migration and the bump of `key` to v + 1, in one transaction. */
async function migrationStep(db: Db, key: string, v: number, run: (db: Db) => Promise<void>): Promise<void> {
  await db.exec('BEGIN IMMEDIATE');
  try {
    await run(db);
    await db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, v + 1]);
    await db.exec('COMMIT');
  } catch (e) {
    await db.exec('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
