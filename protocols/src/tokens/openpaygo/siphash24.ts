/**
 * SipHash-2-4 (Aumasson & Bernstein, 2012): 128-bit key, 64-bit output.
 * Lanes are kept as pairs of unsigned 32-bit halves so the hot loop of the
 * OpenPAYGO decoder (up to ~65 000 hashes per token) never allocates bigints.
 */

import { PrepaidError } from '../../errors.js';

/** A 64-bit value as two unsigned 32-bit halves. */
export interface U64 {
  hi: number;
  lo: number;
}

// State layout: [v0hi, v0lo, v1hi, v1lo, v2hi, v2lo, v3hi, v3lo]
type State = Uint32Array;

function add(s: State, a: number, b: number): void {
  const lo = s[a + 1]! + s[b + 1]!;
  s[a] = s[a]! + s[b]! + (lo > 0xffffffff ? 1 : 0);
  s[a + 1] = lo;
}

function rotl(s: State, a: number, n: number): void {
  let hi = s[a]!;
  let lo = s[a + 1]!;
  if (n >= 32) {
    [hi, lo] = [lo, hi];
    n -= 32;
  }
  if (n > 0) {
    const h = (hi << n) | (lo >>> (32 - n));
    lo = (lo << n) | (hi >>> (32 - n));
    hi = h;
  }
  s[a] = hi;
  s[a + 1] = lo;
}

function xorInto(s: State, a: number, b: number): void {
  s[a] = s[a]! ^ s[b]!;
  s[a + 1] = s[a + 1]! ^ s[b + 1]!;
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

function sipRound(s: State): void {
  add(s, V0, V1); rotl(s, V1, 13); xorInto(s, V1, V0); rotl(s, V0, 32);
  add(s, V2, V3); rotl(s, V3, 16); xorInto(s, V3, V2);
  add(s, V0, V3); rotl(s, V3, 21); xorInto(s, V3, V0);
  add(s, V2, V1); rotl(s, V1, 17); xorInto(s, V1, V2); rotl(s, V2, 32);
}

function readLe32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

function compress(s: State, mHi: number, mLo: number): void {
  s[V3] = s[V3]! ^ mHi;
  s[V3 + 1] = s[V3 + 1]! ^ mLo;
  sipRound(s);
  sipRound(s);
  s[V0] = s[V0]! ^ mHi;
  s[V0 + 1] = s[V0 + 1]! ^ mLo;
}

/** SipHash-2-4 of `message` under a 16-byte `key`, as 32-bit halves of the 64-bit result. */
export function sipHash24Words(key: Uint8Array, message: Uint8Array): U64 {
  if (key.length !== 16) throw new PrepaidError('E_TOKEN_KEY', `SipHash key must be 16 bytes, got ${key.length}`, { path: 'key' });
  const k0lo = readLe32(key, 0);
  const k0hi = readLe32(key, 4);
  const k1lo = readLe32(key, 8);
  const k1hi = readLe32(key, 12);
  // Initialisation constants are ASCII "somepseudorandomlygeneratedbytes".
  const s: State = new Uint32Array([
    k0hi ^ 0x736f6d65, k0lo ^ 0x70736575,
    k1hi ^ 0x646f7261, k1lo ^ 0x6e646f6d,
    k0hi ^ 0x6c796765, k0lo ^ 0x6e657261,
    k1hi ^ 0x74656462, k1lo ^ 0x79746573,
  ]);

  const fullBlocks = message.length - (message.length % 8);
  for (let i = 0; i < fullBlocks; i += 8) compress(s, readLe32(message, i + 4), readLe32(message, i));

  // Last block: remaining bytes little-endian, message length (mod 256) in the top byte.
  const tail = new Uint8Array(8);
  tail.set(message.subarray(fullBlocks));
  tail[7] = message.length & 0xff;
  compress(s, readLe32(tail, 4), readLe32(tail, 0));

  s[V2 + 1] = s[V2 + 1]! ^ 0xff;
  for (let r = 0; r < 4; r++) sipRound(s);
  return {
    hi: (s[V0]! ^ s[V1]! ^ s[V2]! ^ s[V3]!) >>> 0,
    lo: (s[V0 + 1]! ^ s[V1 + 1]! ^ s[V2 + 1]! ^ s[V3 + 1]!) >>> 0,
  };
}

/** SipHash-2-4 as an unsigned 64-bit bigint (the integer whose little-endian bytes are the digest). */
export function sipHash24(key: Uint8Array, message: Uint8Array): bigint {
  const { hi, lo } = sipHash24Words(key, message);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
