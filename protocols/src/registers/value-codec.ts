/**
 * Engineering values <-> register words for one RegisterDef: scale, range and rounding on top of raw-words.ts.
 * Pure functions, no I/O.
 */
import { PrepaidError } from '../errors.js';
import { measurementFor } from './measurements.js';
import { show } from './show.js';
import { decodeRaw, encodeRaw, overflowsFloat, rawIntegerRange } from './raw-words.js';
import type { RegisterDef } from './types.js';

/**
 * A scale written as an integer over a power of ten (0.1 = 1/10, 1000 = 1000/1), so that
 * integer raw values scale exactly: 2301 * 0.1 gives 230.1, not 230.10000000000002.
 */
function decimalScale(scale: number): { num: number; pow: number } | undefined {
  for (let k = 0; k <= 12; k++) {
    const pow = 10 ** k;
    const num = Math.round(scale * pow);
    if (num !== 0 && num / pow === scale) return { num, pow };
  }
  return undefined;
}

function scaleUp(raw: number, scale: number): number {
  if (scale === 1) return raw;
  const d = Number.isInteger(raw) ? decimalScale(scale) : undefined;
  if (d && Number.isSafeInteger(raw * d.num)) return (raw * d.num) / d.pow;
  return raw * scale;
}

function scaleDown(value: number, scale: number): number {
  if (scale === 1) return value;
  const d = decimalScale(scale);
  return d ? (value * d.pow) / d.num : value / scale;
}

function rangeError(def: RegisterDef, value: unknown, why: string): PrepaidError {
  return new PrepaidError('E_VALUE_RANGE', `${def.name}: ${show(value)} ${why}`, { path: def.name, register: def.name, value });
}

/**
 * Engineering value -> u16 words (bool -> [0] or [1]). Integer types round the raw value;
 * values outside def.min..def.max or outside the type's range throw E_VALUE_RANGE naming the register.
 * Floats accept NaN and infinities only when the register has no min/max.
 * With a fractional scale, exact round trips need the engineering value to have at most
 * 15 significant digits (what a double holds); u64 Wh registers use scale 1 and are exact.
 */
export function encodeRegisterValue(def: RegisterDef, value: number): number[] {
  if (typeof value !== 'number') throw rangeError(def, value, 'is not a number');
  const isFloat = def.type === 'f32' || def.type === 'f64';
  const bounded = def.min !== undefined || def.max !== undefined;
  if (!Number.isFinite(value) && (!isFloat || bounded)) throw rangeError(def, value, `is not a finite value for ${def.type}`);
  if (def.min !== undefined && value < def.min) throw rangeError(def, value, `is below the minimum ${def.min}`);
  if (def.max !== undefined && value > def.max) throw rangeError(def, value, `is above the maximum ${def.max}`);
  let raw = scaleDown(value, def.scale);
  const range = rawIntegerRange(def.type);
  if (range) {
    if (def.type === 'bool' && value !== 0 && value !== 1) throw rangeError(def, value, 'is not 0 or 1');
    raw = Math.round(raw) || 0; // || 0 turns -0 into 0
    if (raw < range.min || raw > range.max) {
      throw rangeError(def, value, `does not fit ${def.type} (raw ${raw} outside ${range.min}..${range.max})`);
    }
  } else if (overflowsFloat(def.type as 'f32', raw)) {
    throw rangeError(def, value, `overflows ${def.type}`);
  }
  return encodeRaw(def.type, def.wordOrder, raw);
}

/**
 * u16 words -> engineering value. Floats may decode to NaN or infinities (meters use NaN for
 * "not available"); readings of integer measurements (energy in Wh) are rounded to whole units.
 * Malformed words throw PrepaidError (E_FRAME_SHORT / E_FRAME_LENGTH / E_FRAME_VALUE / E_FRAME_BCD).
 * Out-of-range values are returned as they are: check them with isPlausible().
 */
export function decodeRegisterValue(def: RegisterDef, words: ArrayLike<number>): number {
  const value = scaleUp(decodeRaw(def.type, def.wordOrder, words), def.scale);
  return measurementFor(def.name)?.integer && Number.isFinite(value) ? Math.round(value) : value;
}

/** Whether a decoded engineering value is a believable reading for this register (finite and within min..max). */
export function isPlausible(def: RegisterDef, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (def.min !== undefined && value < def.min) return false;
  if (def.max !== undefined && value > def.max) return false;
  return true;
}
