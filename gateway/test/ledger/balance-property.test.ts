/**
 * Property: whatever sequence of postings arrives (every entry kind, random integer amounts, some
 * postings invalid or for unknown meters, single or batched, with the file closed and reopened in
 * between), every stored balance equals the replay of its entries and the sum kept by the model.
 */
import test from 'ava';
import fc from 'fast-check';
import type { EntryKind, NewEntry } from '../../src/core/credit/contracts.js';
import { KIND_SIGN, openLedger, type Ledger, type Posting } from '../../src/adapters/store/ledger/index.js';
import { STATE, spec, tempDb } from './fixtures.js';

const METERS = ['m0', 'm1', 'm2'];
const KINDS = Object.keys(KIND_SIGN) as EntryKind[];
const MAX = 1_000_000_000_000;

const validEntry: fc.Arbitrary<NewEntry> = fc.constantFrom(...KINDS).chain((kind) => {
  const sign = KIND_SIGN[kind];
  const amount = sign === 0 ? fc.integer({ min: -MAX, max: MAX }) : fc.integer({ min: 0, max: MAX }).map((a) => (a === 0 ? 0 : sign * a));
  return amount.map((a) => ({ kind, amount: a, ts: 1_700_000_000_000, cause: { kind } }));
});

/** An entry the ledger must refuse: fractional, wrong sign, or not a number. */
const badEntry: fc.Arbitrary<NewEntry> = fc.oneof(
  validEntry.map((e) => ({ ...e, amount: e.amount + 0.5 })),
  fc.constantFrom<EntryKind>('topup', 'emergency-credit-taken').map((kind) => ({ kind, amount: -7, ts: 1, cause: {} })),
  fc.constantFrom<EntryKind>('consumption', 'standing-charge', 'emergency-credit-repaid').map((kind) => ({ kind, amount: 7, ts: 1, cause: {} })),
  validEntry.map((e) => ({ ...e, amount: Number.NaN })),
);

type Op =
  | { type: 'post'; meter: string; entries: NewEntry[]; bad: boolean }
  | { type: 'batch'; posts: Array<{ meter: string; entries: NewEntry[]; bad: boolean }> }
  | { type: 'reopen' };

const postArb = fc.record({
  meter: fc.constantFrom(...METERS, 'ghost'),
  entries: fc.array(validEntry, { maxLength: 4 }),
  bad: fc.boolean(),
}).chain((p) => (p.bad ? fc.tuple(fc.nat({ max: p.entries.length }), badEntry).map(([at, e]) => ({ ...p, entries: [...p.entries.slice(0, at), e, ...p.entries.slice(at)] })) : fc.constant(p)));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: postArb.map((p) => ({ type: 'post' as const, ...p })) },
  { weight: 2, arbitrary: fc.array(postArb, { minLength: 1, maxLength: 5 }).map((posts) => ({ type: 'batch' as const, posts })) },
  { weight: 1, arbitrary: fc.constant({ type: 'reopen' as const }) },
);

function toPosting(p: { meter: string; entries: NewEntry[] }): Posting {
  return { meter: p.meter, ts: 1_700_000_000_000, entries: p.entries, audit: { action: 'prop', cause: 'property test' } };
}

/** What the model expects of one posting: the error code, or the amount added. */
function expected(p: { meter: string; entries: NewEntry[]; bad: boolean }): { code: string } | { add: number } {
  if (p.bad) return { code: 'E_LEDGER_INPUT' };
  if (!METERS.includes(p.meter)) return { code: 'E_LEDGER_UNKNOWN_ACCOUNT' };
  return { add: p.entries.reduce((s, e) => s + e.amount, 0) };
}

async function check(l: Ledger, model: Map<string, number>): Promise<void> {
  const report = await l.verify();
  if (!report.ok) throw new Error(`verify: ${JSON.stringify(report.mismatches)}`);
  for (const m of METERS) {
    const balance = (await l.account(m))!.balance;
    const replay = (await l.entries(m, { limit: 1_000_000 })).reduce((s, e) => s + e.amount, 0);
    if (balance !== model.get(m) || replay !== model.get(m)) throw new Error(`${m}: stored ${balance}, replay ${replay}, model ${model.get(m)}`);
  }
}

test('stored balance = replay of entries = model sum, for any sequence of postings, across close/reopen', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 24 }), async (ops) => {
      const path = tempDb(t);
      let l = await openLedger(path, { synchronous: 'normal' });
      try {
        for (const m of METERS) await l.ensureAccount(spec(m), STATE);
        const model = new Map(METERS.map((m) => [m, 0]));
        const reopen = async (): Promise<void> => {
          await l.close();
          l = await openLedger(path, { synchronous: 'normal' });
          await check(l, model);
        };
        for (const [i, op] of ops.entries()) {
          if (i === Math.floor(ops.length / 2)) await reopen(); // always once in the middle
          if (op.type === 'reopen') {
            await reopen();
          } else if (op.type === 'post') {
            const want = expected(op);
            const got: { balance?: number; code?: string } = await l.post(toPosting(op)).then((r) => ({ balance: r.balance }), (e: { code?: string }) => ({ code: e.code }));
            if ('code' in want) {
              if (got.code !== want.code) throw new Error(`op ${i}: expected ${want.code}, got ${JSON.stringify(got)}`);
            } else {
              model.set(op.meter, model.get(op.meter)! + want.add);
              if (got.balance !== model.get(op.meter)) throw new Error(`op ${i}: got ${JSON.stringify(got)}, model ${model.get(op.meter)}`);
            }
          } else {
            const results = await l.postMany(op.posts.map(toPosting));
            for (const [k, p] of op.posts.entries()) {
              const want = expected(p);
              const r = results[k]!;
              if ('code' in want) {
                if (r.ok || (r.error as { code?: string }).code !== want.code) throw new Error(`op ${i}.${k}: expected ${want.code}`);
              } else {
                model.set(p.meter, model.get(p.meter)! + want.add);
                if (!r.ok || r.balance !== model.get(p.meter)) throw new Error(`op ${i}.${k}: ${r.ok ? r.balance : String(r.error)} vs model ${model.get(p.meter)}`);
              }
            }
          }
        }
        await check(l, model);
      } finally {
        await l.close();
      }
    }),
    { numRuns: 40 },
  );
  t.pass();
});
