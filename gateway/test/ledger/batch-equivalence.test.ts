/** postMany (one transaction, one statement per table) leaves the file exactly as the same postings made one by one with post(). */
import test from 'ava';
import fc from 'fast-check';
import type { CommandOutcome } from '../../src/core/credit/contracts.js';
import { ManualClock } from '@prepaid-edge/protocols';
import { openLedger, type Ledger, type Posting } from '../../src/adapters/store/ledger/index.js';
import { STATE, spec, tempDb } from './fixtures.js';

const METERS = ['m0', 'm1'];

const postingArb: fc.Arbitrary<Posting> = fc.record({
  meter: fc.constantFrom('m0', 'm1', 'ghost'),
  amounts: fc.array(fc.integer({ min: -500, max: 500 }), { maxLength: 3 }),
  warned: fc.option(fc.integer({ min: -1, max: 2 }), { nil: undefined }),
  cursor: fc.option(fc.option(fc.nat({ max: 1000 }), { nil: null }), { nil: undefined }),
  command: fc.option(fc.constantFrom('c1', 'c2', 'c3'), { nil: undefined }),
  memory: fc.option(fc.record({ scheme: fc.constantFrom('sts' as const, 'openpaygo' as const), memory: fc.array(fc.nat()) }), { nil: undefined }),
}).map((r) => ({
  meter: r.meter,
  ts: 1000,
  entries: r.amounts.map((a) => ({ kind: 'adjustment' as const, amount: a, ts: 1000, cause: { a } })),
  ...(r.warned === undefined ? {} : { state: { ...STATE, warned: r.warned } }),
  ...(r.cursor === undefined ? {} : { cursor: r.cursor === null ? null : { lastWh: r.cursor, lastTs: 1, remainderMilli: 0, month: '2026-11', monthWh: r.cursor, standingDay: 'd' } }),
  ...(r.command === undefined ? {} : { command: { id: r.command, type: 'topup', outcome: (balance: number): CommandOutcome => ({ status: 'applied', id: r.command!, type: 'topup', balance }) } }),
  ...(r.memory === undefined ? {} : { tokenMemory: r.memory }),
  audit: { action: 'eq', cause: 'test', detail: { n: r.amounts.length } },
}));

async function fresh(t: import('ava').ExecutionContext): Promise<Ledger> {
  const l = await openLedger(tempDb(t), { synchronous: 'normal', clock: new ManualClock({ now: 7 }) });
  for (const m of METERS) await l.ensureAccount(spec(m), STATE);
  return l;
}

async function dump(l: Ledger): Promise<unknown> {
  return {
    accounts: await l.accounts(),
    entries: await Promise.all(METERS.map((m) => l.entries(m))),
    audit: await l.auditLog(),
    commands: await Promise.all(['c1', 'c2', 'c3'].map((id) => l.commandOutcome(id))),
    memory: await Promise.all(METERS.flatMap((m) => [l.tokenMemory(m, 'sts'), l.tokenMemory(m, 'openpaygo')])),
  };
}

test('postMany and a sequence of post() give the same results and the same file contents', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(postingArb, { maxLength: 12 }), async (posts) => {
      const one = await fresh(t);
      const many = await fresh(t);
      try {
        const singles = [];
        for (const p of posts) singles.push(await one.post(p).then((r) => ({ ok: true, ...r }), (e: { code?: string }) => ({ ok: false, code: e.code })));
        const batch = (await many.postMany(posts)).map((r) => (r.ok ? r : { ok: false, code: (r.error as { code?: string }).code }));
        t.deepEqual(batch, singles);
        t.deepEqual(await dump(many), await dump(one));
      } finally {
        await one.close();
        await many.close();
      }
    }),
    { numRuns: 30 },
  );
});
