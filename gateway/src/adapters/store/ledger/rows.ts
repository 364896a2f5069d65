/** SQL of the ledger and the mapping from its rows to the contract shapes. */
import type { Account, AccountState, ChargeCursor, CommandOutcome, EntryKind, StoredEntry } from '../../../core/credit/contracts.js';
import type { AuditEntry } from '../../../core/ledger/types.js';

const ACCOUNT_COLUMNS = 'meter, customer, class, credit_unit, currency, balance, state, cursor, created_at';
const ENTRY_COLUMNS = 'id, meter, kind, amount, ts, cause, balance_after';

export const SQL = {
  account: `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE meter = ?`,
  accounts: `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts ORDER BY meter`,
  balance: 'SELECT balance FROM ledger_accounts WHERE meter = ?',
  insertAccount: `INSERT INTO ledger_accounts (${ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, 0, ?, NULL, ?)`,
  updateHolder: 'UPDATE ledger_accounts SET customer = ?, class = ? WHERE meter = ?',
  // state: NULL keeps it; cursor: the flag says whether to write the (possibly NULL) value.
  updateAccount: 'UPDATE ledger_accounts SET balance = ?, state = coalesce(?, state), cursor = CASE WHEN ? THEN ? ELSE cursor END WHERE meter = ?',
  insertEntry: 'INSERT INTO ledger_entries (meter, kind, amount, ts, cause, balance_after) VALUES (?, ?, ?, ?, ?, ?)',
  entries: `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE meter = ? AND id > ? ORDER BY id LIMIT ?`,
  kindTotals: 'SELECT kind, SUM(amount) AS total FROM ledger_entries WHERE meter = ? AND id > ? GROUP BY kind ORDER BY kind',
  insertAudit: 'INSERT INTO ledger_audit (ts, meter, action, cause, detail) VALUES (?, ?, ?, ?, ?)',
  auditLog: 'SELECT id, ts, meter, action, cause, detail FROM ledger_audit WHERE id > ? AND (?2 IS NULL OR meter = ?2) AND (?3 IS NULL OR action = ?3) ORDER BY id LIMIT ?4',
  command: 'SELECT outcome FROM ledger_commands WHERE id = ?',
  insertCommand: 'INSERT INTO ledger_commands (id, type, received_at, outcome) VALUES (?, ?, ?, ?)',
  setting: 'SELECT value FROM ledger_settings WHERE key = ?',
  settings: "SELECT key, value FROM ledger_settings WHERE key LIKE ? ESCAPE '\\' ORDER BY key",
  saveSetting: 'INSERT INTO ledger_settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  tokenMemory: 'SELECT memory FROM ledger_token_memory WHERE meter = ? AND scheme = ?',
  saveTokenMemory: 'INSERT INTO ledger_token_memory (meter, scheme, memory) VALUES (?, ?, ?) ON CONFLICT (meter, scheme) DO UPDATE SET memory = excluded.memory',
  verifyBalances: `SELECT a.meter AS meter, a.balance AS stored, coalesce((SELECT sum(e.amount) FROM ledger_entries e WHERE e.meter = a.meter), 0) AS replay
    FROM ledger_accounts a WHERE ?1 IS NULL OR a.meter = ?1 ORDER BY a.meter`,
  verifyRunning: `SELECT meter, id, balance_after AS stored, running AS replay FROM (
      SELECT meter, id, balance_after, sum(amount) OVER (PARTITION BY meter ORDER BY id) AS running FROM ledger_entries WHERE ?1 IS NULL OR meter = ?1
    ) WHERE running <> balance_after ORDER BY meter, id`,
} as const;

export interface AccountRow {
  meter: string;
  customer: string;
  class: string;
  credit_unit: 'currency' | 'energy';
  currency: string | null;
  balance: number;
  state: string;
  cursor: string | null;
  created_at: number;
}

export interface EntryRowDb {
  id: number;
  meter: string;
  kind: EntryKind;
  amount: number;
  ts: number;
  cause: string;
  balance_after: number;
}

export interface AuditRow {
  id: number;
  ts: number;
  meter: string | null;
  action: string;
  cause: string;
  detail: string;
}

export function toAccount(r: AccountRow): Account {
  return {
    meter: r.meter,
    customer: r.customer,
    customerClass: r.class,
    creditUnit: r.credit_unit,
    ...(r.currency === null ? {} : { currency: r.currency }),
    balance: r.balance,
    state: JSON.parse(r.state) as AccountState,
    cursor: r.cursor === null ? null : (JSON.parse(r.cursor) as ChargeCursor),
    createdAt: r.created_at,
  };
}

export function toEntry(r: EntryRowDb): StoredEntry {
  return { id: r.id, meter: r.meter, kind: r.kind, amount: r.amount, ts: r.ts, cause: JSON.parse(r.cause) as Record<string, unknown>, balanceAfter: r.balance_after };
}

export function toAudit(r: AuditRow): AuditEntry {
  return { id: r.id, ts: r.ts, ...(r.meter === null ? {} : { meter: r.meter }), action: r.action, cause: r.cause, detail: JSON.parse(r.detail) as Record<string, unknown> };
}

export function parseOutcome(json: string): CommandOutcome {
  return JSON.parse(json) as CommandOutcome;
}
