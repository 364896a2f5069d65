/** Opening the outbox file: schema on open, and refusing (untouched) any file that is not a healthy outbox. */
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type { StorageConfig } from '../../src/core/config/gateway-config.js';
import { openOutbox } from '../../src/adapters/store/index.js';
import { tempDir } from './temp-dir.js';

const cfg = (path: string): StorageConfig => ({ path, maxReadings: 1_000_000, maxBytes: 1 << 30, synchronous: 'full' });

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function raw(path: string, sql: string): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return reject(err);
      db.all(sql, (e: Error | null, rows: Array<Record<string, unknown>>) => db.close(() => (e ? reject(e) : resolve(rows))));
    });
  });
}

/** Assert opening fails with `code`, the message names the file, and nothing in its directory changed. */
async function refuses(t: import('ava').ExecutionContext, path: string, code: string, messagePart?: RegExp): Promise<void> {
  const dir = join(path, '..');
  const files = readdirSync(dir).sort();
  const hash = sha(path);
  const e = await t.throwsAsync(openOutbox(cfg(path)));
  t.like(e, { code, context: { path } });
  t.true(e!.message.includes(path), e!.message);
  if (messagePart) t.regex(e!.message, messagePart);
  t.is(sha(path), hash, 'the file is left byte for byte as it was');
  t.deepEqual(readdirSync(dir).sort(), files, 'no -wal/-journal file was created next to it');
}

test('a new file gets the schema, WAL mode, schema_version and our application_id', async (t) => {
  const path = join(tempDir(t), 'a', 'b', 'outbox.db');
  const o = await openOutbox(cfg(path));
  await o.close();
  t.deepEqual(await raw(path, "SELECT value FROM meta WHERE key = 'schema_version'"), [{ value: 1 }]);
  t.deepEqual(await raw(path, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
  t.deepEqual(await raw(path, 'PRAGMA application_id'), [{ application_id: 0x50504547 }]);
});

test('a file of random bytes is refused with E_STORE_CORRUPT naming the path, and left untouched', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  writeFileSync(path, randomBytes(8192));
  await refuses(t, path, 'E_STORE_CORRUPT', /left untouched/);
});

test('a text file is refused with E_STORE_CORRUPT and left untouched', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  writeFileSync(path, 'gateway:\n  id: gw-01\n'.repeat(200));
  await refuses(t, path, 'E_STORE_CORRUPT');
});

test('an outbox with a damaged page fails the integrity check (E_STORE_CORRUPT) and is left untouched', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  const o = await openOutbox(cfg(path));
  for (let i = 0; i < 20; i++) await o.appendReadings(Array.from({ length: 200 }, (_, k) => ({ meter: `m${k % 5}`, ts: i * 1000 + k, values: { e: k } })));
  await o.close();
  const pages = statSync(path).size / 4096;
  t.true(pages > 20);
  // Overwrite the middle of a page deep in the readings table with garbage (a bad sector, say).
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(2048, 0xa5), 0, 2048, Math.floor(pages / 2) * 4096 + 8);
  closeSync(fd);
  await refuses(t, path, 'E_STORE_CORRUPT', /integrity check/);
});

test('a SQLite database of some other program is refused with E_STORE_OPEN and left untouched', async (t) => {
  const path = join(tempDir(t), 'other.db');
  await raw(path, 'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
  await raw(path, "INSERT INTO customers (name) VALUES ('Ada')");
  await refuses(t, path, 'E_STORE_OPEN', /not a prepaid-edge outbox.*customers/);
});

test('an outbox written by a newer schema version is refused with E_STORE_OPEN', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  await (await openOutbox(cfg(path))).close();
  await raw(path, "UPDATE meta SET value = 99 WHERE key = 'schema_version'");
  await refuses(t, path, 'E_STORE_OPEN', /newer gateway \(schema version 99/);
});

test('an empty (0-byte) file is initialised: it holds nothing to lose', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  writeFileSync(path, '');
  const o = await openOutbox(cfg(path));
  t.is((await o.appendReadings([{ meter: 'm1', ts: 1, values: {} }]))[0]!.seq, 1);
  await o.close();
});

test('a second opener of the same file is refused with E_STORE_OPEN while the first has it open', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  const first = await openOutbox(cfg(path));
  t.teardown(() => first.close());
  await first.appendReadings([{ meter: 'm1', ts: 1, values: {} }]);
  const e = await t.throwsAsync(openOutbox(cfg(path), { busyTimeoutMs: 50 }));
  t.like(e, { code: 'E_STORE_OPEN', context: { path } });
  t.regex(e!.message, /another gateway process/);
  t.is((await first.appendReadings([{ meter: 'm1', ts: 2, values: {} }]))[0]!.seq, 2, 'the owner is unaffected');
});

test('a directory where the file should be is refused with E_STORE_OPEN', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  mkdirSync(path);
  const e = await t.throwsAsync(openOutbox(cfg(path)));
  t.like(e, { code: 'E_STORE_OPEN', context: { path } });
});

test('a smaller bound in the config applies on open', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  const o = await openOutbox(cfg(path));
  await o.appendReadings(Array.from({ length: 3000 }, (_, i) => ({ meter: 'm1', ts: i, values: { e: i } })));
  await o.close();
  const small = await openOutbox({ ...cfg(path), maxReadings: 1000 });
  t.teardown(() => small.close());
  const s = await small.stats();
  t.true(s.readings <= 1000);
  t.is(s.dropped, 3000 - s.readings);
  t.is((await small.pendingReadings(1))[0]!.seq, 3001 - s.readings);
  t.like((await small.pendingEvents(10))[0], { type: 'readings-dropped', data: { count: s.dropped, total: s.dropped } });
});
