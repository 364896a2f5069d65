/**
 * Raw numbers <-> 16-bit Modbus words for each value type, before any scaling.
 * Words are handled high-first internally; 'low-first' only reverses the word sequence
 * (bytes inside a word are always big-endian, as Modbus sends them).
 */
import { frameError, PrepaidError } from '../errors.js';
import { show } from './show.js';
import type { ValueType, WordOrder } from './types.js';

const WIDTH: Readonly<Record<ValueType, number>> = {
  bool: 1, u16: 1, i16: 1, bcd16: 1,
  u32: 2, i32: 2, f32: 2, bcd32: 2,
  u64: 4, f64: 4,
};

/** Number of 16-bit words (or bits, for bool) a value of this type occupies. */
export function registerWidth(type: ValueType): number {
  if (!Object.hasOwn(WIDTH, type)) throw new PrepaidError('E_PROFILE_INVALID', `unknown value type ${show(type)}`, { path: 'type' });
  return WIDTH[type];
}

/** Inclusive integer range of the raw value for integer types; undefined for floats. */
export function rawIntegerRange(type: ValueType): { min: number; max: number } | undefined {
  switch (type) {
    case 'bool': return { min: 0, max: 1 };
    case 'u16': return { min: 0, max: 0xffff };
    case 'i16': return { min: -0x8000, max: 0x7fff };
    case 'u32': return { min: 0, max: 0xffff_ffff };
    case 'i32': return { min: -0x8000_0000, max: 0x7fff_ffff };
    case 'u64': return { min: 0, max: Number.MAX_SAFE_INTEGER }; // a JS number holds u64 exactly only up to 2^53-1
    case 'bcd16': return { min: 0, max: 9999 };
    case 'bcd32': return { min: 0, max: 99_999_999 };
    case 'f32':
    case 'f64': return undefined;
  }
}

const F32_MAX = 3.4028234663852886e38;

/** Raw value -> words, high word first. Callers have already range-checked `raw` (see rawIntegerRange). */
function toWordsHighFirst(type: ValueType, raw: number): number[] {
  switch (type) {
    case 'bool':
    case 'u16': return [raw];
    case 'i16': return [raw & 0xffff];
    case 'u32':
    case 'i32': {
      const u = raw >>> 0;
      return [u >>> 16, u & 0xffff];
    }
    case 'u64': {
      const hi = Math.floor(raw / 2 ** 32);
      const lo = raw - hi * 2 ** 32;
      return [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff];
    }
    case 'bcd16': return [bcdWord(raw)];
    case 'bcd32': return [bcdWord(Math.floor(raw / 10_000)), bcdWord(raw % 10_000)];
    case 'f32':
    case 'f64': {
      const n = type === 'f32' ? 4 : 8;
      const view = new DataView(new ArrayBuffer(n));
      if (type === 'f32') view.setFloat32(0, raw);
      else view.setFloat64(0, raw);
      return Array.from({ length: n / 2 }, (_, i) => view.getUint16(i * 2));
    }
  }
}

function bcdWord(n: number): number {
  let word = 0;
  for (let shift = 0; shift < 16; shift += 4, n = Math.floor(n / 10)) word |= (n % 10) << shift;
  return word;
}

export function encodeRaw(type: ValueType, order: WordOrder, raw: number): number[] {
  const words = toWordsHighFirst(type, raw);
  return order === 'low-first' ? words.reverse() : words;
}

/** Whether a finite raw value overflows a float type's range (f32 rounds to Infinity). */
export function overflowsFloat(type: 'f32' | 'f64', raw: number): boolean {
  return type === 'f32' && Number.isFinite(raw) && Math.abs(Math.fround(raw)) > F32_MAX;
}

/**
 * Words -> raw value. Rejects words that are not integers in 0..65535 (E_FRAME_VALUE),
 * invalid BCD nibbles (E_FRAME_BCD), and u64 values above 2^53-1 (E_FRAME_VALUE, they would
 * silently lose precision as a number). Error offsets are byte offsets into `words` as given.
 */
export function decodeRaw(type: ValueType, order: WordOrder, words: ArrayLike<number>): number {
  const n = registerWidth(type);
  if (words.length < n) throw frameError('E_FRAME_SHORT', `${type} needs ${n} word(s), got ${words.length}`, words.length * 2);
  if (words.length > n) throw frameError('E_FRAME_LENGTH', `${type} takes ${n} word(s), got ${words.length}`, n * 2);
  // w[i] is the i-th word counted from the most significant; at(i) maps it back to the caller's index
  // Runs for every value of every poll: no arrays or closures here (footprint bench: GC).
  const low = order === 'low-first';
  const at = (i: number): number => (low ? n - 1 - i : i);
  const w0 = checkedWord(words, low ? n - 1 : 0);
  const w1 = n > 1 ? checkedWord(words, low ? n - 2 : 1) : 0;
  const w2 = n > 2 ? checkedWord(words, low ? n - 3 : 2) : 0;
  const w3 = n > 3 ? checkedWord(words, low ? 0 : 3) : 0;
  switch (type) {
    case 'bool':
      if (w0 > 1) throw frameError('E_FRAME_VALUE', `bit value ${w0} is neither 0 nor 1`, 0);
      return w0;
    case 'u16': return w0;
    case 'i16': return (w0 << 16) >> 16;
    case 'u32': return w0 * 0x1_0000 + w1;
    case 'i32': return (w0 << 16) | w1;
    case 'u64':
      if (w0 > 0x1f) throw frameError('E_FRAME_VALUE', 'u64 value exceeds 2^53-1 and cannot be held exactly', at(0) * 2);
      return ((w0 * 0x1_0000 + w1) * 0x1_0000 + w2) * 0x1_0000 + w3;
    case 'bcd16': return bcdValue(w0, at(0));
    case 'bcd32': return bcdValue(w0, at(0)) * 10_000 + bcdValue(w1, at(1));
    case 'f32':
      scratch.setUint16(0, w0);
      scratch.setUint16(2, w1);
      return shortestFloat32(scratch.getFloat32(0));
    case 'f64':
      scratch.setUint16(0, w0);
      scratch.setUint16(2, w1);
      scratch.setUint16(4, w2);
      scratch.setUint16(6, w3);
      return scratch.getFloat64(0);
  }
}

/** Reused by decodeRaw (single-threaded, never held across calls). */
const scratch = new DataView(new ArrayBuffer(8));

function checkedWord(words: ArrayLike<number>, index: number): number {
  const v = words[index];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw frameError('E_FRAME_VALUE', `word ${index} is ${show(v)}, not a 16-bit unsigned integer`, index * 2);
  }
  return v;
}

function bcdValue(word: number, index: number): number {
  let value = 0;
  for (let shift = 12; shift >= 0; shift -= 4) {
    const digit = (word >> shift) & 0xf;
    if (digit > 9) throw frameError('E_FRAME_BCD', `nibble 0x${digit.toString(16)} is not a BCD digit`, index * 2 + (shift >= 8 ? 0 : 1));
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The shortest decimal that is the same float32: 230.1 rather than 230.10000610351562.
 * Encoding it again yields the same bits, so round trips stay exact.
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  // Decimal exponent of the first significant digit (log10 may be off by one near powers of ten).
  let e = Math.floor(Math.log10(a));
  if (POW10[e + 1 + 330]! <= a) e++;
  else if (POW10[e + 330]! > a) e--;
  for (let p = 1; p < 9; p++) {
    // a rounded to p significant digits as m * 10^k; m and 10^|k| are exact doubles (k >= -22 here
    // for float32 values down to ~1e-14), so one division or multiplication gives the nearest
    // double to the decimal, as Number(x.toPrecision(p)) does, without building strings.
    const k = e - p + 1;
    if (k < -22 || k > 22) return shortestByString(x);
    const m = k < 0 ? Math.round(a * POW10[-k + 330]!) : Math.round(a / POW10[k + 330]!);
    const d = k < 0 ? m / POW10[-k + 330]! : m * POW10[k + 330]!;
    if (Math.fround(d) === a) return x < 0 ? -d : d;
  }
  return x;
}

/** The same by toPrecision, for magnitudes whose powers of ten are not exact doubles. */
function shortestByString(x: number): number {
  for (let p = 1; p < 9; p++) {
    const d = Number(x.toPrecision(p));
    if (Math.fround(d) === x) return d;
  }
  return x;
}

/** POW10[i + 330] = 10^i for i in -330..330 (exact for |i| <= 22, as parsed otherwise). */
const POW10 = Array.from({ length: 661 }, (_, i) => Number(`1e${i - 330}`));
