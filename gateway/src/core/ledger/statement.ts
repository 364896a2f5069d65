/**
 * A customer statement from the ledger's entries: opening and closing balance and one line per
 * kind of entry (consumption split by tariff band, standing charges, top-ups, adjustments, ...).
 * Pure: the caller reads the entries. Every amount is the ledger's, to the sub-unit:
 * opening + the sum of the lines = closing, and both balances are the stored running balances;
 * a statement that does not add up is refused (E_LEDGER_MISMATCH), never printed.
 *
 * The window is by entry time, [fromTs, toTs), taken in the ledger's (id) order so that statements
 * of consecutive windows chain (one's closing is the next one's opening) even if the clock once
 * went back: it starts at the first entry with ts >= fromTs and ends before the first with
 * ts >= toTs. The CLI and API pass local days (inclusive) in gateway.timezone, from 00:00 of the
 * first to 00:00 after the last.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { StoredEntry } from '../credit/contracts.js';

/** Kinds the statement names; any other kind (a future one) lands in an 'other' line, never dropped. */
export const STATEMENT_KINDS = ['topup', 'consumption', 'friendly-debt', 'standing-charge', 'emergency-credit-taken', 'emergency-credit-repaid', 'adjustment'] as const;

export interface StatementLine {
  /** The entry kind, or 'other' for kinds this code does not know (`kinds` lists them). */
  kind: string;
  /** Tariff band (price period id) of consumption and friendly debt; 'unbanded' when the entry carries no split. */
  band?: string;
  /** Tier index of the band (tiered tariffs), with `band`. */
  tier?: number;
  /** Entries (or band pieces of entries) in the line. */
  count: number;
  /** Energy (Wh) of consumption lines. */
  wh?: number;
  /** Signed sub-units: credit added > 0, taken < 0. */
  amount: number;
  /** The unknown kinds summed in an 'other' line. */
  kinds?: string[];
}

export interface StatementInput {
  meter: string;
  /** The account's entries in id order, up to (not including) the first with ts >= toTs. */
  entries: readonly StoredEntry[];
  fromTs: number;
  toTs: number;
}

export interface Statement {
  meter: string;
  fromTs: number;
  toTs: number;
  opening: number;
  closing: number;
  lines: StatementLine[];
  /** Sum of the positive and of the negative lines, and the entries in the window. */
  credits: number;
  debits: number;
  entries: number;
}

/** A consumption entry's cause carries `lines: [[period, tier, wh, amount], ...]` (credit/pending-charges.ts). */
function bandsOf(e: StoredEntry): Array<{ band: string; tier: number; wh: number; amount: number }> | undefined {
  const raw = (e.cause as { lines?: unknown }).lines;
  if (!Array.isArray(raw)) return undefined;
  const out: Array<{ band: string; tier: number; wh: number; amount: number }> = [];
  for (const l of raw) {
    if (!Array.isArray(l) || typeof l[0] !== 'string' || !Number.isSafeInteger(l[1]) || typeof l[2] !== 'number' || !Number.isSafeInteger(l[3])) return undefined;
    out.push({ band: l[0], tier: l[1] as number, wh: l[2] as number, amount: -(l[3] as number) });
  }
  // Only a split that adds up to the entry is used (one booking with both consumption and friendly
  // debt shares one split between the two entries): else the entry is one 'unbanded' piece.
  return out.reduce((s, l) => s + l.amount, 0) === e.amount ? out : undefined;
}

/** The entries do not add up (E_LEDGER_MISMATCH), or the input is not a statement's (E_LEDGER_INPUT). */
function fail(meter: string, message: string, context: Record<string, unknown> = {}, code: 'E_LEDGER_MISMATCH' | 'E_LEDGER_INPUT' = 'E_LEDGER_MISMATCH'): never {
  throw new PrepaidError(code, `statement of ${meter}: ${message}`, { meter, ...context });
}

export function buildStatement(i: StatementInput): Statement {
  if (!(i.toTs > i.fromTs)) fail(i.meter, `the window is empty (${i.fromTs} .. ${i.toTs})`, {}, 'E_LEDGER_INPUT');
  const known = new Set<string>(STATEMENT_KINDS);
  const lines = new Map<string, StatementLine>();
  const line = (key: string, make: () => StatementLine): StatementLine => {
    let l = lines.get(key);
    if (!l) lines.set(key, (l = make()));
    return l;
  };
  let running = 0;
  let opening = 0;
  let closing = 0;
  let inWindow = 0;
  let lastId = 0;
  for (const e of i.entries) {
    if (e.meter !== i.meter) fail(i.meter, `entry ${e.id} is of meter ${e.meter}`, {}, 'E_LEDGER_INPUT');
    if (e.id <= lastId) fail(i.meter, `entries are not in id order at ${e.id}`, {}, 'E_LEDGER_INPUT');
    lastId = e.id;
    if (e.ts >= i.toTs) fail(i.meter, `entry ${e.id} is after the window (pass the entries up to the first at or after toTs)`, {}, 'E_LEDGER_INPUT');
    running += e.amount;
    // The stored running balance must be the replay: else the ledger itself is damaged (ledger verify).
    if (running !== e.balanceAfter) fail(i.meter, `entry ${e.id}: stored balance ${e.balanceAfter}, replay ${running}`, { entryId: e.id, stored: e.balanceAfter, replay: running });
    if (e.ts < i.fromTs && inWindow === 0) {
      opening = e.balanceAfter;
      closing = e.balanceAfter;
      continue;
    }
    inWindow++;
    closing = e.balanceAfter;
    if (!known.has(e.kind)) {
      const l = line('other', () => ({ kind: 'other', count: 0, amount: 0, kinds: [] }));
      l.count++;
      l.amount += e.amount;
      if (!l.kinds!.includes(e.kind)) l.kinds!.push(e.kind);
      continue;
    }
    if (e.kind === 'consumption' || e.kind === 'friendly-debt') {
      const pieces = bandsOf(e) ?? [{ band: 'unbanded', tier: 0, wh: typeof (e.cause as { toWh?: unknown }).toWh === 'number' && typeof (e.cause as { fromWh?: unknown }).fromWh === 'number' ? (e.cause as { toWh: number }).toWh - (e.cause as { fromWh: number }).fromWh : 0, amount: e.amount }];
      for (const p of pieces) {
        const l = line(`${e.kind}/${p.band}/${p.tier}`, () => ({ kind: e.kind, band: p.band, tier: p.tier, count: 0, wh: 0, amount: 0 }));
        l.count++;
        l.wh! += p.wh;
        l.amount += p.amount;
      }
      continue;
    }
    const l = line(e.kind, () => ({ kind: e.kind, count: 0, amount: 0 }));
    l.count++;
    l.amount += e.amount;
  }
  const order = (l: StatementLine): number => (l.kind === 'other' ? STATEMENT_KINDS.length : STATEMENT_KINDS.indexOf(l.kind as (typeof STATEMENT_KINDS)[number]));
  const out = [...lines.values()].sort((a, b) => order(a) - order(b) || (a.band ?? '').localeCompare(b.band ?? '') || (a.tier ?? 0) - (b.tier ?? 0));
  const sum = out.reduce((s, l) => s + l.amount, 0);
  if (opening + sum !== closing) fail(i.meter, `opening ${opening} + lines ${sum} != closing ${closing}`);
  return {
    meter: i.meter,
    fromTs: i.fromTs,
    toTs: i.toTs,
    opening,
    closing,
    lines: out,
    credits: out.filter((l) => l.amount > 0).reduce((s, l) => s + l.amount, 0),
    debits: out.filter((l) => l.amount < 0).reduce((s, l) => s + l.amount, 0),
    entries: inWindow,
  };
}

const csvCell = (v: string | number | undefined): string => {
  const s = v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV: a header, then opening, one row per line, closing; amounts in sub-units. */
export function statementCsv(s: Statement, meta: { from: string; to: string; timezone: string; creditUnit: string; currency?: string }): string {
  const rows: Array<Array<string | number | undefined>> = [['meter', 'from', 'to', 'timezone', 'unit', 'line', 'band', 'tier', 'count', 'wh', 'amount']];
  const unit = meta.currency ?? meta.creditUnit;
  const row = (line: string, l: Partial<StatementLine> & { amount: number }) => rows.push([s.meter, meta.from, meta.to, meta.timezone, unit, line, l.band, l.tier, l.count, l.wh, l.amount]);
  row('opening', { amount: s.opening });
  for (const l of s.lines) row(l.kind === 'other' ? `other (${(l.kinds ?? []).join(' ')})` : l.kind, l);
  row('closing', { amount: s.closing });
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
