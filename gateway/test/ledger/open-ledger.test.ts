/** Opening the ledger file: schema on open, and refusing (untouched) any file that is not ours. */
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { APPLICATION_ID, LEDGER_SCHEMA_VERSION, openLedger } from '../../src/adapters/store/ledger/index.js';
import { STATE, opened, raw, rawExec, spec, tempDb } from './fixtures.js';

async function refuses(t: import('ava').ExecutionContext, path: string, code: string, message: RegExp): Promise<void> {
  const files = readdirSync(dirname(path)).sort();
  const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
  const e = await t.throwsAsync(openLedger(path));
  t.like(e, { code, context: { path } });
  t.regex(e!.message, message);
  t.true(e!.message.includes(path));
  t.is(createHash('sha256').update(readFileSync(path)).digest('hex'), hash, 'the file is left byte for byte as it was');
  t.deepEqual(readdirSync(dirname(path)).sort(), files, 'no -wal or -shm file appeared');
}

test('a new file (and its directory) gets the ledger tables, WAL mode, ledger_meta version and the application_id', async (t) => {
  const path = join(dirname(tempDb(t)), 'a', 'b', 'gateway.db');
  const l = await openLedger(path);
  await l.close();
  t.deepEqual(await raw(path, "SELECT value FROM ledger_meta WHERE key = 'schema_version'"), [{ value: LEDGER_SCHEMA_VERSION }]);
  t.deepEqual(await raw(path, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
  t.deepEqual(await raw(path, 'PRAGMA application_id'), [{ application_id: APPLICATION_ID }]);
  const tables = (await raw(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")).map((r) => r.name);
  t.deepEqual(tables, ['ledger_accounts', 'ledger_audit', 'ledger_commands', 'ledger_entries', 'ledger_meta', 'ledger_settings', 'ledger_token_memory']);
});

test('another program\'s SQLite database is refused with E_STORE_OPEN and left untouched', async (t) => {
  const path = tempDb(t);
  await rawExec(path, 'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, \'x\');');
  await refuses(t, path, 'E_STORE_OPEN', /not a prepaid-edge file.*customers/);
});

test('a file of random bytes is refused with E_STORE_CORRUPT and left untouched', async (t) => {
  const path = tempDb(t);
  writeFileSync(path, randomBytes(8192));
  await refuses(t, path, 'E_STORE_CORRUPT', /left untouched/);
});

test('a ledger written by a newer build is refused with E_STORE_OPEN', async (t) => {
  const path = tempDb(t);
  const l = await opened(t, path);
  await l.ensureAccount(spec('m1'), STATE);
  await l.close();
  await rawExec(path, `UPDATE ledger_meta SET value = ${LEDGER_SCHEMA_VERSION + 1} WHERE key = 'schema_version'`);
  const e = await t.throwsAsync(openLedger(path));
  t.like(e, { code: 'E_STORE_OPEN', context: { path, schemaVersion: LEDGER_SCHEMA_VERSION + 1 } });
  t.regex(e!.message, /newer gateway/);
});

test('a directory in place of the file is refused with E_STORE_OPEN', async (t) => {
  const path = tempDb(t);
  await t.throwsAsync(openLedger(dirname(path)), { code: 'E_STORE_OPEN', message: /not a regular file/ });
});
