/** RFC 8785 (JCS) canonicalisation, on the RFC's own examples and on generated values. */
import test from 'ava';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { canonicalJson, MAX_DEPTH } from '../../src/core/commands/canonical-json.js';

/** JSON text in which `~` stands for a backslash, so the RFC's escapes can be written as printed. */
const parseTilde = (text: string): unknown => JSON.parse(text.replaceAll('~', '\\'));

/** The IEEE 754 double with these 16 hex digits, as RFC 8785 Appendix B lists them. */
function double(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

// RFC 8785 section 3.2.2, the sample input (numbers, escapes, literals), and its canonical form in 3.2.3.
const RFC_SAMPLE = String.raw`{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`;

test('RFC 8785 section 3.2.3: the sample input canonicalises to the published text', (t) => {
  t.is(canonicalJson(JSON.parse(RFC_SAMPLE)), String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`);
});

test('RFC 8785 section 3.2.4: the sample canonicalises to the published UTF-8 bytes', (t) => {
  const published = `7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 65 5d 2c
    22 6e 75 6d 62 65 72 73 22 3a 5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31 65 2b
    33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82
    ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d`;
  t.is(Buffer.from(canonicalJson(JSON.parse(RFC_SAMPLE)), 'utf8').toString('hex'), published.replace(/\s+/g, ''));
});

test('RFC 8785 section 3.2.3: member names sort by UTF-16 code units (emoji surrogates before U+FB33)', (t) => {
  const input = parseTilde(`{
    "~u20ac": "Euro Sign", "~r": "Carriage Return", "~ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
    "~ud83d~ude00": "Emoji: Grinning Face", "~u0080": "Control", "~u00f6": "Latin Small Letter O With Diaeresis"
  }`);
  const order = [...canonicalJson(input).matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
  t.deepEqual(order, [
    'Carriage Return',
    'One',
    'Control',
    'Latin Small Letter O With Diaeresis',
    'Euro Sign',
    'Emoji: Grinning Face',
    'Hebrew Letter Dalet With Dagesh',
  ]);
  t.true(canonicalJson(input).startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"'), 'control U+0080 is not escaped; \\r is');
});

// RFC 8785 Appendix B, "Number Serialization Samples": IEEE 754 bits -> text.
const APPENDIX_B: [string, string][] = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
];

test('RFC 8785 Appendix B: every number sample', (t) => {
  for (const [bits, text] of APPENDIX_B) t.is(canonicalJson(double(bits)), text, bits);
});

test('RFC 8785 Appendix B and 3.2.2.3: NaN and Infinity are refused, naming the path', (t) => {
  for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
    const e = t.throws(() => canonicalJson({ a: [1, { b: double(bits) }] }));
    t.is((e as { code?: string }).code, 'E_COMMAND_MALFORMED');
    t.regex(e!.message, /^a\[1\]\.b: /);
  }
  t.throws(() => canonicalJson(JSON.parse('{"amount": 1e400}')), { message: /^amount: Infinity is not a JSON number/ });
});

test('values JSON cannot carry are refused, not dropped or converted', (t) => {
  const bad: [unknown, RegExp][] = [
    [{ a: undefined }, /^a: undefined/],
    [[1, undefined], /^\[1\]: undefined/],
    [[1, , 3], /^\[1\]: undefined/], // eslint-disable-line no-sparse-arrays
    [{ f: () => 1 }, /^f: a function/],
    [{ n: 10n }, /^n: a bigint/],
    [{ d: new Date(0) }, /^d: a Date object/],
    [{ m: new Map() }, /^m: a Map object/],
    [{ [Symbol('s')]: 1 }, /symbol keys/],
    [{ s: 'a\uD800b' }, /^s: string holds a lone UTF-16 surrogate/],
    [{ '\uDC00': 1 }, /lone UTF-16 surrogate/],
  ];
  for (const [value, message] of bad) t.throws(() => canonicalJson(value), { message }, String(message));
  t.is(canonicalJson(Object.assign(Object.create(null), { b: 1, a: 2 })), '{"a":2,"b":1}', 'null-prototype objects are plain');
  t.is(canonicalJson('\uD83D\uDE00'), '"😀"', 'a surrogate pair is one character, written raw');
  t.is(canonicalJson(-0), '0');
});

test('nesting is limited, so hostile input cannot exhaust the stack', (t) => {
  const deep = (n: number): unknown => (n === 0 ? 1 : [deep(n - 1)]);
  t.notThrows(() => canonicalJson(deep(MAX_DEPTH)));
  t.throws(() => canonicalJson(deep(MAX_DEPTH + 1)), { message: /nested deeper than 64/ });
});

const json = fc.jsonValue({ maxDepth: 4 });

/** The same object with its members (at every depth) in reverse insertion order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)]));
  return v;
}

test('property: canonical text is valid JSON of the same value and a fixed point', (t) => {
  fc.assert(
    fc.property(json, (v) => {
      const c = canonicalJson(v);
      return canonicalJson(JSON.parse(c)) === c && isDeepStrictEqual(JSON.parse(c), JSON.parse(JSON.stringify(v)));
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: member order does not change the canonical text', (t) => {
  fc.assert(
    fc.property(json, (v) => canonicalJson(reversed(v)) === canonicalJson(v)),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.integer()), fc.dictionary(fc.string(), fc.integer()), (a, b) => {
      return canonicalJson({ ...a, ...b }) === canonicalJson(Object.fromEntries(Object.entries({ ...a, ...b }).reverse()));
    }),
  );
  t.pass();
});
