import test from 'ava';
import fc from 'fast-check';
import { PrepaidError } from '../../../src/errors.js';
import { sipHash24, sipHash24Words } from '../../../src/tokens/openpaygo/siphash24.js';

// Key 00 01 .. 0f and message 00 01 .. (len-1), digest bytes as published in the SipHash paper
// (Aumasson & Bernstein 2012, appendix A) and the reference repo veorq/SipHash `vectors.h` (vectors_sip64).
const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const PAPER: Array<[number, string]> = [
  [0, '310e0edd47db6f72'],
  [1, 'fd67dc93c539f874'],
  [2, '5a4fa9d909806c0d'],
  [7, '37d1018bf50002ab'],
  [8, '6224939a79f5f593'],
  [9, 'b0e4a90bdf82009e'],
  [15, 'e545be4961ca29a1'],
  [16, 'db9bc2577fcc2a3f'],
  [17, '9447be2cf5e99a69'],
  [31, '42c341d8fa92d832'],
  [32, 'ce7cf2722f512771'],
  [63, '724506eb4c328a95'],
];

function digestBytesHex(key: Uint8Array, message: Uint8Array): string {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(sipHash24(key, message));
  return out.toString('hex');
}

for (const [length, expected] of PAPER) {
  test(`SipHash-2-4 paper vector, ${length}-byte message`, (t) => {
    t.is(digestBytesHex(KEY, Uint8Array.from({ length }, (_, i) => i)), expected);
  });
}

test('the paper example 00..0e reads as the integer 0xa129ca6149be45e5', (t) => {
  t.is(sipHash24(KEY, Uint8Array.from({ length: 15 }, (_, i) => i)), 0xa129ca6149be45e5n);
});

// Straightforward bigint SipHash-2-4 written from the paper, to cross-check the 32-bit-halves code.
function referenceSipHash(key: Uint8Array, msg: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const le = (b: Uint8Array, at: number) => Buffer.from(b.subarray(at, at + 8)).readBigUInt64LE();
  const rotl = (x: bigint, n: bigint) => ((x << n) | (x >> (64n - n))) & M;
  const k0 = le(key, 0);
  const k1 = le(key, 8);
  const v = [k0 ^ 0x736f6d6570736575n, k1 ^ 0x646f72616e646f6dn, k0 ^ 0x6c7967656e657261n, k1 ^ 0x7465646279746573n];
  const round = () => {
    v[0] = (v[0]! + v[1]!) & M; v[1] = rotl(v[1]!, 13n) ^ v[0]; v[0] = rotl(v[0], 32n);
    v[2] = (v[2]! + v[3]!) & M; v[3] = rotl(v[3]!, 16n) ^ v[2];
    v[0] = (v[0] + v[3]) & M; v[3] = rotl(v[3], 21n) ^ v[0];
    v[2] = (v[2] + v[1]) & M; v[1] = rotl(v[1], 17n) ^ v[2]; v[2] = rotl(v[2], 32n);
  };
  const padded = new Uint8Array(Math.floor(msg.length / 8) * 8 + 8);
  padded.set(msg);
  padded[padded.length - 1] = msg.length & 0xff;
  for (let i = 0; i < padded.length; i += 8) {
    const m = le(padded, i);
    v[3]! ^= m;
    round(); round();
    v[0]! ^= m;
  }
  v[2]! ^= 0xffn;
  round(); round(); round(); round();
  return v[0]! ^ v[1]! ^ v[2]! ^ v[3]!;
}

test('32-bit-halves SipHash equals a bigint implementation on random keys and messages', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 300 }), (key, msg) => {
      const { hi, lo } = sipHash24Words(key, msg);
      return ((BigInt(hi) << 32n) | BigInt(lo)) === referenceSipHash(key, msg);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('the bigint cross-check itself reproduces the paper vectors', (t) => {
  for (const [length, expected] of PAPER) {
    const out = Buffer.alloc(8);
    out.writeBigUInt64LE(referenceSipHash(KEY, Uint8Array.from({ length }, (_, i) => i)));
    t.is(out.toString('hex'), expected);
  }
});

test('SipHash rejects a key that is not 16 bytes', (t) => {
  const err = t.throws(() => sipHash24(new Uint8Array(15), new Uint8Array(0)), { instanceOf: PrepaidError });
  t.is(err?.code, 'E_TOKEN_KEY');
});
