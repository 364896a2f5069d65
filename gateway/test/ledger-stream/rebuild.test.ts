/** The head end's rebuild (core/ledger/rebuild.ts) and the stream's numbering and payload (core/ledger/stream.ts), as tables. */
import test from 'ava';
import { LedgerRebuild } from '../../src/core/ledger/rebuild.js';
import { cursorAfter, ledgerPayload, numberEntries, parseLedgerMessage, STREAM_START, type StreamEntryJson } from '../../src/core/ledger/stream.js';
import type { StoredEntry } from '../../src/core/credit/contracts.js';

/** Entries of two meters: seq n, amounts as given, balanceAfter the true running sum per meter. */
function stream(spec: Array<[meter: string, amount: number]>): StreamEntryJson[] {
  const run = new Map<string, number>();
  return spec.map(([meter, amount], i) => {
    const b = (run.get(meter) ?? 0) + amount;
    run.set(meter, b);
    return { seq: i + 1, id: 100 + i * 3, meter, kind: amount >= 0 ? 'topup' : 'consumption', amount, balanceAfter: b, ts: 1_000 + i, cause: {} };
  });
}

const s = stream([['m1', 5000], ['m2', 700], ['m1', -120], ['m1', -80], ['m2', -7], ['m1', 1000], ['m2', -3]]);
const truth = new Map([['m1', 5800], ['m2', 690]]);
const pick = (...seqs: number[]) => seqs.map((q) => s[q - 1]!);

const cases: Array<{ name: string; deliveries: StreamEntryJson[][]; applied: number; duplicates: number; gaps: Array<[number, number]>; mismatches: number }> = [
  { name: 'in order, once', deliveries: [pick(1, 2, 3), pick(4, 5, 6, 7)], applied: 7, duplicates: 0, gaps: [], mismatches: 0 },
  { name: 'a message redelivered (QoS 1) counts once', deliveries: [pick(1, 2, 3), pick(1, 2, 3), pick(4, 5, 6, 7), pick(6, 7)], applied: 7, duplicates: 5, gaps: [], mismatches: 0 },
  { name: 'resent from an older cursor after a restart, overlapping', deliveries: [pick(1, 2, 3, 4), pick(3, 4, 5), pick(5, 6, 7)], applied: 7, duplicates: 3, gaps: [], mismatches: 0 },
  { name: 'out of order: held until the hole fills', deliveries: [pick(1, 2), pick(5, 6, 7), pick(3, 4)], applied: 7, duplicates: 0, gaps: [], mismatches: 0 },
  { name: 'a message never arrives: a gap, no balance built over it', deliveries: [pick(1, 2), pick(5, 6, 7)], applied: 2, duplicates: 0, gaps: [[3, 4]], mismatches: 2 },
  { name: 'two holes', deliveries: [pick(1), pick(3), pick(6)], applied: 1, duplicates: 0, gaps: [[2, 2], [4, 5]], mismatches: 2 },
  { name: 'a held entry delivered twice', deliveries: [pick(1), pick(3, 4), pick(3), pick(2)], applied: 4, duplicates: 1, gaps: [], mismatches: 2 },
];

for (const c of cases) {
  test(`rebuild: ${c.name}`, (t) => {
    const r = new LedgerRebuild();
    for (const d of c.deliveries) r.accept(d);
    const sum = r.summary();
    t.is(sum.applied, c.applied);
    t.is(sum.duplicates, c.duplicates);
    t.deepEqual(sum.gaps, c.gaps);
    t.is(r.compare(truth).length, c.mismatches, JSON.stringify(r.compare(truth)));
    t.deepEqual(sum.breaks, [], 'every applied balanceAfter agrees with the rebuild');
  });
}

test('rebuild: an entry whose balanceAfter disagrees (an entry of that meter missing from the stream) is a break', (t) => {
  const r = new LedgerRebuild();
  const forged = pick(1, 2, 3).map((e) => ({ ...e }));
  forged[2] = { ...forged[2]!, balanceAfter: 4000 }; // the gateway says 4000 after -120 from 5000
  r.accept(forged);
  t.deepEqual(r.summary().breaks, [{ seq: 3, meter: 'm1', stated: 4000, rebuilt: 4880 }]);
});

test('rebuild: compare names a meter only one side knows', (t) => {
  const r = new LedgerRebuild();
  r.accept(pick(1));
  t.deepEqual(r.compare(new Map([['m1', 5000], ['m9', 0]])), [], 'a meter with balance 0 and no entries agrees');
  t.deepEqual(r.compare(new Map([['m9', 10]])), [{ meter: 'm9', gateway: 10, rebuilt: null }, { meter: 'm1', gateway: 0, rebuilt: 5000 }]);
});

test('stream: seqs continue from the cursor whatever the entry ids; the payload round-trips through the parser', (t) => {
  const rows: StoredEntry[] = [7, 9, 30].map((id, i) => ({ id, meter: 'm1', kind: 'consumption', amount: -(i + 1), ts: 5, cause: { reading: i }, balanceAfter: -(i + 1) }));
  const first = numberEntries(STREAM_START, rows.slice(0, 2));
  t.deepEqual(first.map((e) => e.seq), [1, 2]);
  const c = cursorAfter(STREAM_START, first);
  t.deepEqual(c, { entry: 9, seq: 2 });
  const next = numberEntries(c, rows.slice(2));
  t.deepEqual(next.map((e) => [e.id, e.seq]), [[30, 3]], 'ids may skip (a rolled-back insert); seqs never do');
  t.deepEqual(cursorAfter(c, []), c);
  const parsed = parseLedgerMessage(ledgerPayload('gw-1', [...first, ...next]));
  t.true(parsed.ok);
  if (parsed.ok) t.deepEqual(parsed.message.entries.map((e) => [e.seq, e.id, e.amount, e.balanceAfter, e.cause]), [[1, 7, -1, -1, { reading: 0 }], [2, 9, -2, -2, { reading: 1 }], [3, 30, -3, -3, { reading: 2 }]]);
  t.false(parseLedgerMessage('{"gateway":"g","entries":[{"seq":1.5}]}').ok);
  t.false(parseLedgerMessage('nope').ok);
});
