import test from 'ava';
import { PrepaidError } from '../../../src/errors.js';
import { decodeOpenPaygoToken, encodeOpenPaygoToken } from '../../../src/tokens/openpaygo/index.js';
import { describe, vectors } from './vectors.js';

// Source: EnAccess/OpenPAYGO-python test/test_tokens.jsonl (fixtures/README.md). 40 standard + 40 extended rows.
test('the vector file holds 80 rows, 40 of them extended', (t) => {
  t.is(vectors.length, 80);
  t.is(vectors.filter((v) => v.extended_token).length, 40);
});

for (const v of vectors) {
  const name = describe(v);

  test(`encode vector: ${name}`, (t) => {
    const out = encodeOpenPaygoToken({
      key: v.key,
      startingCode: v.starting_code,
      count: v.count,
      type: v.token_type,
      ...(v.value_raw === null ? {} : { value: v.value_raw }),
      restrictedDigitSet: v.restricted_digit_set,
      extended: v.extended_token,
    });
    t.deepEqual(out, { token: v.token, newCount: v.new_count });
  });

  test(`decode vector: ${name}`, (t) => {
    const options = { key: Buffer.from(v.key, 'hex'), startingCode: v.starting_code, lastCount: v.count };
    // Once with the device's digit-set/size flags, once letting the length decide.
    for (const flags of [{ restrictedDigitSet: v.restricted_digit_set, extended: v.extended_token }, {}]) {
      const out = decodeOpenPaygoToken(v.token, { ...options, ...flags });
      t.is(out.type, v.token_type);
      t.is(out.value, v.value_raw);
      t.is(out.count, v.new_count);
      t.is(out.lastCount, v.new_count);
    }
  });

  test(`replaying the vector token is refused: ${name}`, (t) => {
    const first = decodeOpenPaygoToken(v.token, { key: v.key, startingCode: v.starting_code, lastCount: v.count });
    const err = t.throws(
      () => decodeOpenPaygoToken(v.token, { key: v.key, startingCode: v.starting_code, lastCount: first.lastCount, usedCounts: first.usedCounts }),
      { instanceOf: PrepaidError },
    );
    t.is(err?.code, 'E_TOKEN_CRC');
    t.is(err?.context.reason, 'already-used');
    t.is(err?.context.path, 'token');
  });
}

test('a vector token is refused under the other device key', (t) => {
  const keys = [...new Set(vectors.map((v) => v.key))];
  t.is(keys.length, 2);
  for (const v of vectors) {
    const otherKey = keys.find((k) => k !== v.key)!;
    const err = t.throws(() => decodeOpenPaygoToken(v.token, { key: otherKey, startingCode: v.starting_code, lastCount: v.count }), {
      instanceOf: PrepaidError,
    });
    t.is(err?.code, 'E_TOKEN_CRC', describe(v));
    t.is(err?.context.reason, 'invalid', describe(v));
  }
});

test('a vector token is refused when the starting code differs above its value digits', (t) => {
  // Only digits above the value field (3 digits, 6 when extended) feed the chain; a change in the
  // value digits just shifts the decoded value, which is how the value is hidden in the first place.
  for (const v of vectors) {
    const startingCode = (v.starting_code + 1_000_000) % 1_000_000_000;
    const err = t.throws(() => decodeOpenPaygoToken(v.token, { key: v.key, startingCode, lastCount: v.count }), {
      instanceOf: PrepaidError,
    });
    t.is(err?.context.reason, 'invalid', describe(v));
  }
});

test('tokens grouped with spaces, as keypad guides print them, decode the same', (t) => {
  const v = vectors[0]!; // 588224011
  const spaced = v.token.replace(/(\d{3})(?=\d)/g, '$1 ');
  t.is(spaced, '588 224 011');
  t.is(decodeOpenPaygoToken(spaced, { key: v.key, startingCode: v.starting_code, lastCount: v.count }).count, v.new_count);
});
