/**
 * Pure checks of what callers hand the ledger, before any transaction starts. Errors are
 * PrepaidError E_LEDGER_INPUT whose message and `context.path` name the field
 * (`entries[1].amount`, or `posts[3].entries[1].amount` inside postMany).
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { AccountSpec, AccountState, CommandOutcome, EntryKind, NewEntry } from '../credit/contracts.js';
import type { NewAuditEntry, Posting, TokenScheme } from './types.js';

/**
 * Sign each kind's amount must have: +1 adds credit (or zero), -1 takes it (or zero), 0 either.
 * friendly-debt and adjustment go both ways (a debt booked or recovered, a correction).
 */
export const KIND_SIGN: Readonly<Record<EntryKind, 1 | -1 | 0>> = {
  topup: 1,
  consumption: -1,
  'standing-charge': -1,
  'emergency-credit-taken': 1,
  'emergency-credit-repaid': -1,
  'friendly-debt': 0,
  adjustment: 0,
};

const METER_ID = /^[^/+#\u0000-\u001f\u007f]{1,128}$/;
const SUPPLY = new Set(['connected', 'disconnected', 'ready-for-reconnection']);

export interface EntryRow {
  kind: EntryKind;
  amount: number;
  ts: number;
  cause: Record<string, unknown>;
  causeJson: string;
}

export interface ValidPosting {
  /** '' or 'posts[3].': prefixes the field paths of errors found inside the transaction. */
  prefix: string;
  meter: string;
  ts: number;
  entries: EntryRow[];
  stateJson: string | undefined;
  /** undefined = keep, null = clear. */
  cursorJson: string | null | undefined;
  audit: { action: string; cause: string; detailJson: string; detail: Record<string, unknown> };
  command: { id: string; type: string; outcome: CommandOutcome | ((balance: number) => CommandOutcome); withBalance: boolean } | undefined;
  tokenMemory: { scheme: TokenScheme; json: string } | undefined;
}

export function bad(path: string, message: string, context: Record<string, unknown> = {}): PrepaidError {
  return new PrepaidError('E_LEDGER_INPUT', `${path}: ${message}`, { ...context, path });
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function checkMeter(v: unknown, path: string): string {
  if (typeof v !== 'string' || !METER_ID.test(v)) throw bad(path, `meter id must be 1..128 characters without '/', '+', '#' or control characters (got ${JSON.stringify(v)})`);
  return v;
}

function checkInt(v: unknown, path: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(path, `must be a safe integer, got ${typeof v === 'number' ? String(v) : JSON.stringify(v) ?? typeof v}`);
  if (v < min) throw bad(path, `must be >= ${min}, got ${v}`);
  return v === 0 ? 0 : v; // no -0 in the ledger
}

function checkTs(v: unknown, path: string): number {
  return checkInt(v, path, 0);
}

function checkText(v: unknown, path: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw bad(path, `must be a string of 1..${max} characters`);
  return v;
}

function checkFinite(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(path, `must be a finite number, got ${String(v)}`);
  return v;
}

export function toJson(v: unknown, path: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(v);
  } catch (e) {
    throw new PrepaidError('E_LEDGER_INPUT', `${path}: cannot be stored as JSON: ${(e as Error).message}`, { path }, { cause: e });
  }
  if (json === undefined) throw bad(path, 'cannot be stored as JSON (undefined or a function)');
  return json;
}

function checkObject(v: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw bad(path, 'must be an object');
  return v;
}

export function checkEntry(e: NewEntry, path: string): EntryRow {
  checkObject(e, path);
  if (typeof e.kind !== 'string' || !(e.kind in KIND_SIGN)) throw bad(`${path}.kind`, `must be one of ${Object.keys(KIND_SIGN).join(', ')} (got ${JSON.stringify(e.kind)})`);
  const amount = checkInt(e.amount, `${path}.amount`);
  const sign = KIND_SIGN[e.kind];
  if (sign * amount < 0) throw bad(`${path}.amount`, `a ${e.kind} entry must be ${sign > 0 ? '>= 0 (it adds credit)' : '<= 0 (it takes credit)'}, got ${amount}`);
  const ts = checkTs(e.ts, `${path}.ts`);
  const cause = checkObject(e.cause, `${path}.cause`);
  return { kind: e.kind, amount, ts, cause, causeJson: toJson(cause, `${path}.cause`) };
}

export function checkState(s: AccountState, path: string): string {
  checkObject(s, path);
  if (!SUPPLY.has(s.supply)) throw bad(`${path}.supply`, `must be one of ${[...SUPPLY].join(', ')} (got ${JSON.stringify(s.supply)})`);
  checkInt(s.warned, `${path}.warned`, -1);
  checkObject(s.emergency, `${path}.emergency`);
  if (typeof s.emergency.offered !== 'boolean') throw bad(`${path}.emergency.offered`, 'must be a boolean');
  if (typeof s.emergency.inUse !== 'boolean') throw bad(`${path}.emergency.inUse`, 'must be a boolean');
  checkInt(s.emergency.outstanding, `${path}.emergency.outstanding`, 0);
  if (s.disconnectAt !== null) checkTs(s.disconnectAt, `${path}.disconnectAt`);
  if (typeof s.friendlyZero !== 'boolean') throw bad(`${path}.friendlyZero`, 'must be a boolean');
  if (s.points !== undefined) checkInt(s.points, `${path}.points`, 0);
  return toJson(s, path);
}

function checkCursor(c: Posting['cursor'], path: string): string | null | undefined {
  if (c === undefined || c === null) return c;
  checkObject(c, path);
  checkFinite(c.lastWh, `${path}.lastWh`);
  checkTs(c.lastTs, `${path}.lastTs`);
  checkInt(c.remainderMilli, `${path}.remainderMilli`);
  if (typeof c.month !== 'string') throw bad(`${path}.month`, 'must be a string');
  checkFinite(c.monthWh, `${path}.monthWh`);
  if (typeof c.standingDay !== 'string') throw bad(`${path}.standingDay`, 'must be a string');
  return toJson(c, path);
}

export function checkAudit(a: NewAuditEntry | Posting['audit'], path: string): { action: string; cause: string; detail: Record<string, unknown>; detailJson: string } {
  checkObject(a, path);
  const action = checkText(a.action, `${path}.action`, 64);
  const cause = checkText(a.cause, `${path}.cause`, 1024);
  const detail = a.detail === undefined ? {} : checkObject(a.detail, `${path}.detail`);
  return { action, cause, detail, detailJson: toJson(detail, `${path}.detail`) };
}

export function checkCommandId(id: unknown, path: string): string {
  return checkText(id, path, 256);
}

export function checkCommandType(type: unknown, path: string): string {
  return checkText(type, path, 64);
}

export function checkScheme(v: unknown, path: string): TokenScheme {
  if (v !== 'sts' && v !== 'openpaygo') throw bad(path, `must be 'sts' or 'openpaygo' (got ${JSON.stringify(v)})`);
  return v;
}

/** `prefix` is '' for post() and 'posts[3].' inside postMany. */
export function checkPosting(p: Posting, prefix = ''): ValidPosting {
  if (!isPlainObject(p)) throw bad(prefix ? prefix.slice(0, -1) : 'posting', 'must be an object');
  const meter = checkMeter(p.meter, `${prefix}meter`);
  const ts = checkTs(p.ts, `${prefix}ts`);
  if (!Array.isArray(p.entries)) throw bad(`${prefix}entries`, 'must be an array');
  const entries = p.entries.map((e, i) => checkEntry(e, `${prefix}entries[${i}]`));
  const stateJson = p.state === undefined ? undefined : checkState(p.state, `${prefix}state`);
  const cursorJson = checkCursor(p.cursor, `${prefix}cursor`);
  const audit = checkAudit(p.audit, `${prefix}audit`);
  let command: ValidPosting['command'];
  if (p.command !== undefined) {
    checkObject(p.command, `${prefix}command`);
    const id = checkCommandId(p.command.id, `${prefix}command.id`);
    const type = checkCommandType(p.command.type, `${prefix}command.type`);
    const outcome: unknown = p.command.outcome;
    if (typeof outcome !== 'function' && !(isPlainObject(outcome) && typeof outcome.status === 'string')) throw bad(`${prefix}command.outcome`, 'must be a CommandOutcome or a function (balance) => CommandOutcome');
    if (p.command.withBalance !== undefined && typeof p.command.withBalance !== 'boolean') throw bad(`${prefix}command.withBalance`, 'must be a boolean');
    command = { id, type, outcome: p.command.outcome, withBalance: p.command.withBalance === true };
  }
  let tokenMemory: ValidPosting['tokenMemory'];
  if (p.tokenMemory !== undefined) {
    checkObject(p.tokenMemory, `${prefix}tokenMemory`);
    tokenMemory = { scheme: checkScheme(p.tokenMemory.scheme, `${prefix}tokenMemory.scheme`), json: toJson(p.tokenMemory.memory, `${prefix}tokenMemory.memory`) };
  }
  return { prefix, meter, ts, entries, stateJson, cursorJson, audit, command, tokenMemory };
}

export function checkSpec(s: AccountSpec): AccountSpec {
  checkObject(s, 'spec');
  const meter = checkMeter(s.meter, 'spec.meter');
  const customer = checkText(s.customer, 'spec.customer', 256);
  const customerClass = checkText(s.customerClass, 'spec.customerClass', 64);
  if (s.creditUnit !== 'currency' && s.creditUnit !== 'energy') throw bad('spec.creditUnit', `must be 'currency' or 'energy' (got ${JSON.stringify(s.creditUnit)})`);
  if (s.currency !== undefined && (typeof s.currency !== 'string' || !/^[A-Z]{3}$/.test(s.currency))) throw bad('spec.currency', `must be an ISO 4217 code like 'CNY' (got ${JSON.stringify(s.currency)})`);
  return { meter, customer, customerClass, creditUnit: s.creditUnit, ...(s.currency === undefined ? {} : { currency: s.currency }) };
}
