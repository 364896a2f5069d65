/** Shared pieces of the ledger stream tests: prepaid meters with credit, the stream as a subscriber saw it, the ledger as the file holds it. */
import type { ExecutionContext } from 'ava';
import { LedgerRebuild } from '../../src/core/ledger/rebuild.js';
import { parseLedgerMessage, type LedgerMessage } from '../../src/core/ledger/stream.js';
import { FLAT, STRICT } from '../e2e/one-prepaid-meter.js';
import type { GatewayDb } from '../e2e/gateway-db.js';
import { PREFIX, waitFor, type Subscriber } from '../uplink/helpers.js';

/** 30 EUR/kWh in milli-EUR: a few kW give whole sub-units every charge. */
export const STEEP = { ...FLAT, id: 'steep', periods: [{ id: 'flat', pricePerKwh: 30_000 }] };

/** `credit:` for `meters`, each with `openingBalance`, charged every `chargeEveryMs`; `keys` trusted for commands. */
export function creditFor(meters: readonly string[], openingBalance: number, chargeEveryMs: number, keys: Array<{ keyId: string; publicKey: string }> = []): Record<string, unknown> {
  return {
    tariffs: { steep: STEEP },
    policies: { strict: { ...STRICT, maxDebt: 1_000_000_000 } },
    classes: { residential: { tariff: 'steep', policy: 'strict' } },
    accounts: meters.map((m, i) => ({ meter: m, customer: `C-${i + 1}`, class: 'residential', openingBalance })),
    keys,
    chargeEveryMs,
  };
}

/** The ledger messages of `gw`, in arrival order. */
export function ledgerMessages(sub: Subscriber, gw: string): LedgerMessage[] {
  return sub.messages
    .filter((m) => m.topic === `${PREFIX}/${gw}/ledger`)
    .map((m) => {
      const p = parseLedgerMessage(JSON.stringify(m.json));
      if (!p.ok) throw new Error(`a malformed ledger message: ${p.error}`);
      return p.message;
    });
}

export function rebuildOf(sub: Subscriber, gw: string): LedgerRebuild {
  const r = new LedgerRebuild();
  for (const m of ledgerMessages(sub, gw)) r.accept(m.entries);
  return r;
}

export interface LedgerTruth {
  balances: Map<string, number>;
  /** Entries in the file: the last seq the stream can have. */
  entries: number;
  kinds: Map<string, number>;
}

/** What the gateway's file says (read from outside, after the gateway stopped or between kills). */
export async function ledgerTruth(g: GatewayDb): Promise<LedgerTruth> {
  const balances = new Map((await g.all<{ meter: string; balance: number }>('SELECT meter, balance FROM ledger_accounts')).map((r) => [r.meter, r.balance]));
  const kinds = new Map((await g.all<{ kind: string; n: number }>('SELECT kind, count(*) AS n FROM ledger_entries GROUP BY kind')).map((r) => [r.kind, r.n]));
  return { balances, entries: [...kinds.values()].reduce((a, b) => a + b, 0), kinds };
}

/**
 * Wait until the subscriber has every seq up to the file's entry count, then assert: the rebuild from
 * the stream alone equals every balance in the file, no gap, nothing held, every balanceAfter agreed,
 * and no seq beyond the file's entries.
 */
export async function assertRebuildEqualsLedger(t: ExecutionContext, sub: Subscriber, gw: string, truth: LedgerTruth, timeoutMs = 20_000): Promise<LedgerRebuild> {
  await waitFor(`the stream reached seq ${truth.entries}`, () => rebuildOf(sub, gw).lastSeq() >= truth.entries, timeoutMs).catch(() => undefined);
  const r = rebuildOf(sub, gw);
  const s = r.summary();
  t.is(s.lastSeq, truth.entries, `every entry arrived: seqs 1..${truth.entries} (highest received ${r.highestSeq()}, gaps ${JSON.stringify(s.gaps.slice(0, 5))})`);
  t.deepEqual(s.gaps, [], 'no seq gap');
  t.is(r.highestSeq(), truth.entries, 'no seq beyond the entries in the file');
  t.deepEqual(r.compare(truth.balances), [], 'the rebuild from the stream equals every balance in the ledger, to the sub-unit');
  t.deepEqual(s.breaks, [], "each entry's balanceAfter equals the rebuilt running balance");
  return r;
}

/** The distinct seqs in the order they first arrived. */
export function firstArrivals(sub: Subscriber, gw: string): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (const m of ledgerMessages(sub, gw)) for (const e of m.entries) if (!seen.has(e.seq)) seen.add(e.seq), out.push(e.seq);
  return out;
}

export function teardownLater(t: ExecutionContext, f: () => Promise<unknown>): void {
  t.teardown(() => f().then(() => undefined));
}

/** Seqs received with different entries (a seq handed out twice): must be none. */
export function seqConflicts(sub: Subscriber, gw: string): string[] {
  const byseq = new Map<number, string>();
  const out: string[] = [];
  for (const m of ledgerMessages(sub, gw))
    for (const e of m.entries) {
      const v = JSON.stringify([e.id, e.meter, e.kind, e.amount, e.balanceAfter, e.ts]);
      const had = byseq.get(e.seq);
      if (had === undefined) byseq.set(e.seq, v);
      else if (had !== v && out.length < 20) out.push(`seq ${e.seq}: ${had} then ${v}`);
    }
  return out;
}
