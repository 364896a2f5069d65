/**
 * postMany's fast path. Everything a batch needs is read with two queries (balances, known command
 * ids), every posting is then decided in memory in order (duplicate, unknown account, overflow,
 * outcome), and the ones that pass are written with one multi-row statement per table (rows passed
 * as one JSON array and expanded by json_each). A posting refused while planning has written
 * nothing, so each posting stays all-or-nothing without a savepoint per posting.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { CommandOutcome, StoredEntry } from '../../../core/credit/contracts.js';
import type { Connection } from './connection.js';
import { parseOutcome } from './rows.js';
import type { PostManyResult } from '../../../core/ledger/types.js';
import { toJson, type ValidPosting } from '../../../core/ledger/validate.js';
import { settle } from '../../../core/ledger/settle.js';

const SQL = {
  balances: 'SELECT meter, balance FROM ledger_accounts WHERE meter IN (SELECT value FROM json_each(?))',
  commands: 'SELECT id, outcome FROM ledger_commands WHERE id IN (SELECT value FROM json_each(?))',
  insertEntries: 'INSERT INTO ledger_entries (meter, kind, amount, ts, cause, balance_after) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?) ORDER BY key',
  // Per meter: balance, state JSON or null (keep), cursor flag, cursor JSON or null.
  updateAccounts: `UPDATE ledger_accounts SET balance = j.value ->> 1, state = coalesce(j.value ->> 2, state), cursor = CASE WHEN j.value ->> 3 THEN j.value ->> 4 ELSE cursor END
    FROM json_each(?) AS j WHERE ledger_accounts.meter = j.value ->> 0`,
  insertAudit: 'INSERT INTO ledger_audit (ts, meter, action, cause, detail) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?) ORDER BY key',
  insertCommands: 'INSERT INTO ledger_commands (id, type, received_at, outcome) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) ORDER BY key',
  saveTokenMemory: 'INSERT INTO ledger_token_memory (meter, scheme, memory) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true ON CONFLICT (meter, scheme) DO UPDATE SET memory = excluded.memory',
} as const;

type Checked = { ok: true; v: ValidPosting } | { ok: false; error: Error };

interface Applied {
  index: number;
  v: ValidPosting;
  before: number;
  after: number[];
  balance: number;
  outcomeJson: string | undefined;
}

/** Runs inside the caller's transaction; throws only on a SQLite failure (then nothing of the batch may be kept). */
export async function writeBatch(db: Connection, checked: readonly Checked[], now: number): Promise<PostManyResult[]> {
  const valid = checked.flatMap((c) => (c.ok ? [c.v] : []));
  const balances = new Map((await db.all<{ meter: string; balance: number }>(SQL.balances, [JSON.stringify([...new Set(valid.map((v) => v.meter))])])).map((r) => [r.meter, r.balance]));
  const ids = valid.flatMap((v) => (v.command ? [v.command.id] : []));
  const commands = new Map(ids.length === 0 ? [] : (await db.all<{ id: string; outcome: string }>(SQL.commands, [JSON.stringify(ids)])).map((r) => [r.id, r.outcome]));

  const results: PostManyResult[] = checked.map((c) => (c.ok ? { ok: true, entries: [], balance: 0 } : { ok: false, error: c.error }));
  const applied: Applied[] = [];
  checked.forEach((c, index) => {
    if (!c.ok) return;
    try {
      const a = plan(c.v, balances, commands);
      if ('duplicate' in a) results[index] = { ok: true, ...a.duplicate };
      else applied.push({ index, ...a });
    } catch (e) {
      results[index] = { ok: false, error: e as Error };
    }
  });
  if (applied.length === 0) return results;

  const entryRows = applied.flatMap((a) => a.v.entries.map((e, i) => [a.v.meter, e.kind, e.amount, e.ts, e.causeJson, a.after[i]]));
  let nextId = 0;
  if (entryRows.length > 0) {
    const { lastID } = await db.run(SQL.insertEntries, [JSON.stringify(entryRows)]);
    // One INSERT into an AUTOINCREMENT table on our own connection inside our transaction: its ids are consecutive.
    nextId = lastID - entryRows.length + 1;
  }
  const accounts = new Map<string, [string, number, string | null, number, string | null]>();
  const audit: unknown[] = [];
  const commandRows: unknown[] = [];
  const memory = new Map<string, [string, string, string]>();
  for (const a of applied) {
    const v = a.v;
    const stored: StoredEntry[] = v.entries.map((e, i) => ({ id: nextId++, meter: v.meter, kind: e.kind, amount: e.amount, ts: e.ts, cause: JSON.parse(e.causeJson) as Record<string, unknown>, balanceAfter: a.after[i]! }));
    const prev = accounts.get(v.meter);
    accounts.set(v.meter, [
      v.meter,
      a.balance,
      v.stateJson ?? prev?.[2] ?? null,
      v.cursorJson !== undefined ? 1 : (prev?.[3] ?? 0),
      v.cursorJson !== undefined ? v.cursorJson : (prev?.[4] ?? null),
    ]);
    const ledger = { entries: stored.map((e) => e.id), balanceBefore: a.before, balanceAfter: a.balance, ...(v.command ? { command: v.command.id } : {}) };
    audit.push([v.ts, v.meter, v.audit.action, v.audit.cause, toJson({ ...v.audit.detail, ledger }, 'audit.detail')]);
    if (v.command) commandRows.push([v.command.id, v.command.type, now, a.outcomeJson]);
    if (v.tokenMemory) memory.set(`${v.meter}\u0000${v.tokenMemory.scheme}`, [v.meter, v.tokenMemory.scheme, v.tokenMemory.json]);
    results[a.index] = { ok: true, entries: stored, balance: a.balance, ...(a.outcomeJson ? { outcome: JSON.parse(a.outcomeJson) as CommandOutcome } : {}) };
  }
  await db.run(SQL.updateAccounts, [JSON.stringify([...accounts.values()])]);
  await db.run(SQL.insertAudit, [JSON.stringify(audit)]);
  if (commandRows.length > 0) await db.run(SQL.insertCommands, [JSON.stringify(commandRows)]);
  if (memory.size > 0) await db.run(SQL.saveTokenMemory, [JSON.stringify([...memory.values()])]);
  return results;
}

/** Decide one posting against the balances and command ids as they stand after the earlier postings of the batch. */
function plan(v: ValidPosting, balances: Map<string, number>, commands: Map<string, string>): Omit<Applied, 'index'> | { duplicate: { entries: StoredEntry[]; balance: number; outcome: CommandOutcome } } {
  if (v.command) {
    const known = commands.get(v.command.id);
    if (known !== undefined) return { duplicate: { entries: [], balance: balances.get(v.meter) ?? 0, outcome: { status: 'duplicate', id: v.command.id, original: parseOutcome(known) } } };
  }
  const before = balances.get(v.meter);
  if (before === undefined) throw new PrepaidError('E_LEDGER_UNKNOWN_ACCOUNT', `${v.prefix}meter: no ledger account for meter ${JSON.stringify(v.meter)}`, { path: `${v.prefix}meter`, meter: v.meter });
  const { after, balance, outcomeJson } = settle(v, before);
  if (v.command) commands.set(v.command.id, outcomeJson!);
  balances.set(v.meter, balance);
  return { v, before, after, balance, outcomeJson };
}
