/** Shared test fixtures for the ledger: temp files, accounts, postings, raw SQL on the file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import sqlite3 from 'sqlite3';
import { ManualClock } from '@prepaid-edge/protocols';
import type { AccountSpec, AccountState, NewEntry } from '../../src/core/credit/contracts.js';
import { openLedger, type Ledger, type LedgerOptions, type Posting } from '../../src/adapters/store/ledger/index.js';

/** A fresh file path in a temporary directory removed when the test ends. */
export function tempDb(t: ExecutionContext, name = 'gateway.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-ledger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, name);
}

/** Open a ledger closed at the end of the test (closing twice is harmless). */
export async function opened(t: ExecutionContext, path: string, opts: LedgerOptions = {}): Promise<Ledger> {
  const l = await openLedger(path, { clock: new ManualClock({ now: 1_700_000_000_000 }), ...opts });
  t.teardown(() => l.close());
  return l;
}

export const STATE: AccountState = { supply: 'connected', warned: -1, emergency: { offered: false, inUse: false, outstanding: 0 }, disconnectAt: null, friendlyZero: false };

export function spec(meter: string, over: Partial<AccountSpec> = {}): AccountSpec {
  return { meter, customer: `cust-${meter}`, customerClass: 'residential', creditUnit: 'currency', currency: 'CNY', ...over };
}

export function entry(kind: NewEntry['kind'], amount: number, ts = 1_700_000_000_000): NewEntry {
  return { kind, amount, ts, cause: { test: true } };
}

export function posting(meter: string, entries: NewEntry[], over: Partial<Posting> = {}): Posting {
  return { meter, ts: 1_700_000_000_000, entries, audit: { action: 'test', cause: 'unit test' }, ...over };
}

/** Run SQL on the file over a separate plain connection (as a sqlite3 shell would). */
export function raw(path: string, sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return reject(err);
      db.all(sql, params, (e: Error | null, rows: Array<Record<string, unknown>>) => db.close(() => (e ? reject(e) : resolve(rows))));
    });
  });
}

export function rawExec(path: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return reject(err);
      db.exec(sql, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}
