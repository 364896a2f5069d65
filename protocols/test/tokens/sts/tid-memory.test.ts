import test from 'ava';
import fc from 'fast-check';
import { acceptTid, normalizeTidMemory, TID_MEMORY_SIZE } from '../../../src/tokens/sts/tid-memory.js';
import { PrepaidError } from '../../../src/errors.js';

test('TID memory: accepts a new TID once, then reports it used', (t) => {
  const first = acceptTid([], 100);
  t.deepEqual(first, { accepted: true, memory: [100] });
  t.deepEqual(acceptTid(first.memory, 100), { accepted: false, reason: 'used', memory: [100] });
});

test('TID memory: while not full, an older unused TID is still accepted', (t) => {
  const r = acceptTid([100, 200], 50);
  t.true(r.accepted);
  t.deepEqual(r.memory, [50, 100, 200]);
});

test('TID memory: when full, older than the oldest is rejected and a newer one evicts the oldest', (t) => {
  const full = Array.from({ length: TID_MEMORY_SIZE }, (_, i) => 1000 + i);
  t.deepEqual(acceptTid(full, 999), { accepted: false, reason: 'old', memory: full });
  const r = acceptTid(full, 5000);
  t.true(r.accepted);
  t.is(r.memory.length, TID_MEMORY_SIZE);
  t.is(r.memory[0], 1001);
  t.is(r.memory.at(-1), 5000);
  // A gap TID newer than the oldest is accepted too.
  const gap = acceptTid(full.filter((x) => x !== 1020), 1020);
  t.true(gap.accepted);
});

test('TID memory: does not mutate its input and tolerates unsorted stored memory', (t) => {
  const stored = [30, 10, 20, 10];
  const r = acceptTid(stored, 25, 3);
  t.deepEqual(stored, [30, 10, 20, 10]);
  t.deepEqual(r, { accepted: true, memory: [20, 25, 30] });
  t.deepEqual(normalizeTidMemory([5, 3, 5, 1], 2), [3, 5]);
});

test('TID memory: rejects TIDs outside 24 bits', (t) => {
  t.is(t.throws(() => acceptTid([], -1), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
  t.is(t.throws(() => acceptTid([1 << 24], 1), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
});

test('TID memory: invariants hold for any sequence (sorted, unique, bounded, no TID accepted twice)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), fc.integer({ min: 1, max: 60 }), (tids, cap) => {
      let memory: readonly number[] = [];
      const accepted = new Set<number>();
      for (const tid of tids) {
        const r = acceptTid(memory, tid, cap);
        if (r.accepted) {
          // Evicted TIDs are always the oldest, so once out they stay 'old': never accepted twice.
          if (accepted.has(tid)) return false;
          accepted.add(tid);
        }
        memory = r.memory;
        if (memory.length > cap) return false;
        for (let i = 1; i < memory.length; i++) if (memory[i - 1]! >= memory[i]!) return false;
      }
      return true;
    }),
  );
  t.pass();
});
