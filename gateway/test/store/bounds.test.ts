/** The overflow policy as pure arithmetic. */
import test from 'ava';
import fc from 'fast-check';
import { DROP_HEADROOM, lowWater, overBounds, rowsToDrop } from '../../src/adapters/store/bounds.js';

test('over either bound is over', (t) => {
  const b = { maxReadings: 100, maxBytes: 1000 };
  t.false(overBounds({ count: 100, bytes: 1000 }, b));
  t.true(overBounds({ count: 101, bytes: 0 }, b));
  t.true(overBounds({ count: 1, bytes: 1001 }, b));
});

test('the low-water mark is 1% under each bound, and at least one under', (t) => {
  t.is(DROP_HEADROOM, 0.01);
  t.deepEqual(lowWater({ maxReadings: 5_000_000, maxBytes: 1 << 30 }), { count: 4_950_000, bytes: (1 << 30) - Math.floor((1 << 30) / 100) });
  t.deepEqual(lowWater({ maxReadings: 10, maxBytes: 50 }), { count: 9, bytes: 49 });
});

test('rowsToDrop: by count exactly, by bytes from the average size', (t) => {
  t.is(rowsToDrop({ count: 120, bytes: 0 }, { count: 99, bytes: 1000 }), 21);
  t.is(rowsToDrop({ count: 10, bytes: 1000 }, { count: 100, bytes: 490 }), 6);
  t.is(rowsToDrop({ count: 0, bytes: 0 }, { count: 0, bytes: 0 }), 0);
});

test('property: repeating rowsToDrop on equal-sized rows reaches the low-water mark and never drops more than there is', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 1e8 }), (count, size, maxReadings, maxBytes) => {
      const low = lowWater({ maxReadings, maxBytes });
      let level = { count, bytes: count * size };
      for (let i = 0; i < 5 && level.count > 0 && (level.count > low.count || level.bytes > low.bytes); i++) {
        const k = rowsToDrop(level, low);
        if (k < 1 || k > level.count) return false;
        level = { count: level.count - k, bytes: level.bytes - k * size };
      }
      return level.count === 0 || (level.count <= Math.max(low.count, 0) && level.bytes <= low.bytes);
    }),
  );
  t.pass();
});
