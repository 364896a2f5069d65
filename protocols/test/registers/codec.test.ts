import test from 'ava';
import fc from 'fast-check';
import { decodeRegisterValue, encodeRegisterValue, isPlausible, loadProfile, registerWidth, type ValueType, type WordOrder } from '../../src/registers/index.js';
import { def, returnsOrPrepaidError, throwsCode } from './helpers.js';

const ORDERS: WordOrder[] = ['high-first', 'low-first'];
const INT_TYPES = ['u16', 'i16', 'u32', 'i32', 'u64', 'bcd16', 'bcd32'] as const;
const ALL_TYPES: ValueType[] = ['bool', 'u16', 'i16', 'u32', 'i32', 'u64', 'f32', 'f64', 'bcd16', 'bcd32'];

const RAW: Record<(typeof INT_TYPES)[number] | 'bool', fc.Arbitrary<number>> = {
  bool: fc.integer({ min: 0, max: 1 }),
  u16: fc.integer({ min: 0, max: 0xffff }),
  i16: fc.integer({ min: -0x8000, max: 0x7fff }),
  u32: fc.integer({ min: 0, max: 0xffff_ffff }),
  i32: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  u64: fc.maxSafeNat(),
  bcd16: fc.integer({ min: 0, max: 9999 }),
  bcd32: fc.integer({ min: 0, max: 99_999_999 }),
};

test('registerWidth in words', (t) => {
  t.deepEqual(ALL_TYPES.map(registerWidth), [1, 1, 1, 2, 2, 4, 2, 4, 1, 2]);
  throwsCode(t, () => registerWidth('u128' as ValueType), 'E_PROFILE_INVALID');
});

test('SDM630 float32 words, high word first (IEEE-754 binary32 encodings)', (t) => {
  const sdm = loadProfile('sdm630');
  const reg = (name: string) => sdm.registers.find((r) => r.name === name)!;
  t.deepEqual(encodeRegisterValue(reg('voltageL1'), 230), [0x4366, 0x0000]); // 230.0 = 0x43660000
  t.is(decodeRegisterValue(reg('voltageL1'), [0x4366, 0x0000]), 230);
  t.is(decodeRegisterValue(reg('frequency'), [0x4248, 0x0000]), 50); // 50.0 = 0x42480000
  t.is(decodeRegisterValue(reg('powerFactor'), [0x3f7a, 0xe148]), 0.98); // shortest decimal of float32(0.98)
  // energy is kWh on the wire, Wh after scale 1000, rounded to whole Wh (integer measurement)
  t.is(decodeRegisterValue(reg('energyImport'), [0x449a, 0x5000]), 1_234_500); // 1234.5 kWh
  t.is(decodeRegisterValue(reg('energyImport'), [0x4145, 0x851f]), 12_345); // float32(12.345) kWh = 12344.99961.. Wh
  t.deepEqual(encodeRegisterValue(reg('energyImport'), 1_234_500), [0x449a, 0x5000]);
});

test('float32 low word first swaps the words, not the bytes', (t) => {
  t.deepEqual(encodeRegisterValue(def('f32', { wordOrder: 'low-first' }), 230), [0x0000, 0x4366]);
  t.is(decodeRegisterValue(def('f32', { wordOrder: 'low-first' }), [0x0ccd, 0x4366]), 230.05);
});

test('prepaid map fixed-point registers', (t) => {
  const p = loadProfile('prepaid');
  const reg = (name: string) => p.registers.find((r) => r.name === name)!;
  t.deepEqual(encodeRegisterValue(reg('voltageL1'), 230.1), [2301]);
  t.is(decodeRegisterValue(reg('voltageL1'), [2301]), 230.1); // exact decimal scaling, not 230.10000000000002
  t.deepEqual(encodeRegisterValue(reg('currentL1'), 12.345), [0, 12345]);
  t.is(decodeRegisterValue(reg('currentL1'), [1, 0]), 65.536);
  t.deepEqual(encodeRegisterValue(reg('power'), -1500), [0xffff, 0xfa24]);
  t.is(decodeRegisterValue(reg('power'), [0xffff, 0xfa24]), -1500);
  t.deepEqual(encodeRegisterValue(reg('powerFactor'), -0.5), [0xfe0c]);
  t.is(decodeRegisterValue(reg('frequency'), [5001]), 50.01);
  t.deepEqual(encodeRegisterValue(reg('energyImport'), 2 ** 40 + 5), [0, 0x0100, 0, 5]);
  t.is(decodeRegisterValue(reg('energyImport'), [0x001f, 0xffff, 0xffff, 0xffff]), Number.MAX_SAFE_INTEGER);
});

test('BCD: digits per nibble, bad nibbles rejected with their byte offset', (t) => {
  t.deepEqual(encodeRegisterValue(def('bcd16'), 1234), [0x1234]);
  t.is(decodeRegisterValue(def('bcd16'), [0x0907]), 907);
  t.deepEqual(encodeRegisterValue(def('bcd32'), 12_345_678), [0x1234, 0x5678]);
  t.is(decodeRegisterValue(def('bcd32', { wordOrder: 'low-first' }), [0x3456, 0x0012]), 123_456);
  t.is(throwsCode(t, () => decodeRegisterValue(def('bcd16'), [0x12a4]), 'E_FRAME_BCD').context.offset, 1);
  t.is(throwsCode(t, () => decodeRegisterValue(def('bcd32'), [0xf000, 0]), 'E_FRAME_BCD').context.offset, 0);
  // low-first: the high digits are in word 1, so the bad nibble's byte offset is 2
  t.is(throwsCode(t, () => decodeRegisterValue(def('bcd32', { wordOrder: 'low-first' }), [0, 0xb000]), 'E_FRAME_BCD').context.offset, 2);
  throwsCode(t, () => encodeRegisterValue(def('bcd16'), 10_000), 'E_VALUE_RANGE');
});

test('range errors name the register', (t) => {
  const cases: [ValueType, number, Partial<Parameters<typeof def>[1]>?][] = [
    ['u16', 65536], ['u16', -1], ['i16', 32768], ['i16', -32769], ['u32', 2 ** 32], ['i32', -(2 ** 31) - 1],
    ['u64', 2 ** 53], ['u64', -1], ['bool', 2], ['u16', Number.NaN], ['i32', Number.POSITIVE_INFINITY],
    ['f32', 1e39], ['f32', Number.NaN, { max: 10 }], ['u16', 11, { max: 10 }], ['i16', -6, { min: -5 }],
    ['u16', 6553.6, { scale: 0.1 }],
  ];
  for (const [type, value, extra] of cases) {
    const e = throwsCode(t, () => encodeRegisterValue(def(type, { name: 'relayCommand', ...extra }), value), 'E_VALUE_RANGE');
    t.regex(e.message, /^relayCommand: /);
    t.is(e.context.path, 'relayCommand');
  }
  t.deepEqual(encodeRegisterValue(def('u16', { scale: 0.1 }), 6553.5), [65535]);
  t.deepEqual(encodeRegisterValue(def('u16'), 1.5), [2]); // integer types round the raw value
  t.deepEqual(encodeRegisterValue(def('f32'), Number.NaN), [0x7fc0, 0]); // unbounded floats may carry NaN
});

test('decode rejects short, long and non-u16 words', (t) => {
  throwsCode(t, () => decodeRegisterValue(def('u32'), [1]), 'E_FRAME_SHORT');
  throwsCode(t, () => decodeRegisterValue(def('u16'), [1, 2]), 'E_FRAME_LENGTH');
  t.is(throwsCode(t, () => decodeRegisterValue(def('u32'), [1, 70000]), 'E_FRAME_VALUE').context.offset, 2);
  throwsCode(t, () => decodeRegisterValue(def('u16'), [1.5]), 'E_FRAME_VALUE');
  throwsCode(t, () => decodeRegisterValue(def('bool'), [2]), 'E_FRAME_VALUE');
  // above 2^53-1 a number would silently lose Wh
  t.is(throwsCode(t, () => decodeRegisterValue(def('u64', { wordOrder: 'low-first' }), [0, 0, 0, 0x20]), 'E_FRAME_VALUE').context.offset, 6);
});

test('isPlausible uses min/max and rejects NaN', (t) => {
  const f = loadProfile('sdm630').registers.find((r) => r.name === 'frequency')!;
  t.true(isPlausible(f, 50));
  t.false(isPlausible(f, 0));
  t.false(isPlausible(f, Number.NaN));
  t.true(isPlausible(def('u16'), 7));
});

test('property: integer types round trip value -> words -> value, both word orders', (t) => {
  for (const type of [...INT_TYPES, 'bool'] as const) {
    for (const wordOrder of ORDERS) {
      fc.assert(
        fc.property(RAW[type], (v) => {
          const d = def(type, { wordOrder });
          const words = encodeRegisterValue(d, v);
          return words.length === registerWidth(type) && decodeRegisterValue(d, words) === v;
        }),
      );
    }
  }
  t.pass();
});

test('property: scaled integer registers round trip words -> value -> words', (t) => {
  const scales = [0.1, 0.01, 0.001, 10, 1000, -1];
  for (const type of INT_TYPES) {
    // a double holds 15 significant decimal digits for sure: beyond that a scaled u64 cannot round trip
    const raw = type === 'u64' ? fc.integer({ min: 0, max: 1e15 - 1 }) : RAW[type];
    fc.assert(
      fc.property(raw, fc.constantFrom(...scales), fc.constantFrom(...ORDERS), (raw, scale, wordOrder) => {
        const plain = def(type, { wordOrder });
        const d = def(type, { wordOrder, scale });
        const words = encodeRegisterValue(plain, raw);
        return JSON.stringify(encodeRegisterValue(d, decodeRegisterValue(d, words))) === JSON.stringify(words);
      }),
    );
  }
  t.pass();
});

test('property: float round trips keep the exact bits, low-first is high-first reversed', (t) => {
  fc.assert(
    fc.property(fc.double(), fc.constantFrom(...ORDERS), (x, wordOrder) => {
      const d = def('f64', { wordOrder });
      const y = decodeRegisterValue(d, encodeRegisterValue(d, x));
      return Object.is(x, y);
    }),
  );
  fc.assert(
    fc.property(fc.float({ noNaN: true }), (x) => {
      const hi = encodeRegisterValue(def('f32'), x);
      const lo = encodeRegisterValue(def('f32', { wordOrder: 'low-first' }), x);
      const back = decodeRegisterValue(def('f32'), hi);
      return Object.is(Math.fround(back), x) && JSON.stringify(lo) === JSON.stringify([...hi].reverse()) && JSON.stringify(encodeRegisterValue(def('f32'), back)) === JSON.stringify(hi);
    }),
  );
  t.pass();
});

test('property: decode of arbitrary words returns a number or throws PrepaidError', (t) => {
  const word = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer(), fc.double(), fc.constant(Number.NaN));
  fc.assert(
    fc.property(fc.constantFrom(...ALL_TYPES), fc.constantFrom(...ORDERS), fc.array(word, { maxLength: 6 }), fc.constantFrom(1, 0.1, 1000), (type, wordOrder, words, scale) =>
      returnsOrPrepaidError(() => {
        const v = decodeRegisterValue(def(type, { wordOrder, scale, name: 'energyImport' }), words);
        if (typeof v !== 'number') throw new Error('not a number');
      }),
    ),
  );
  fc.assert(fc.property(fc.constantFrom(...ALL_TYPES), fc.anything(), (type, v) => returnsOrPrepaidError(() => encodeRegisterValue(def(type), v as number))));
  t.pass();
});
