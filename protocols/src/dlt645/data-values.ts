/**
 * Values of known DIs: BCD bytes <-> integer "raw" (a count of the format's last digit) <->
 * canonical units. Energy and money stay integers (Wh, minor units); instantaneous values
 * (V, A, W, Hz, power factor) are decimals in their canonical unit.
 */
import { frameError, PrepaidError } from '../errors.js';
import { decodeBcd, encodeBcd } from './bcd.js';
import type { Dlt645DataItem } from './data-identifiers.js';

export interface Dlt645Reading {
  di: string;
  key: string;
  measurement?: string;
  /** Signed integer in units of the format's last digit (0.01 kWh for XXXXXX.XX kWh). */
  raw: number;
  /** The value as the meter formats it, e.g. "001234.56" or "-000.250". */
  text: string;
  /** In the canonical unit; an integer when item.integer (energy in Wh, money in minor units). */
  value: number;
  unit: string;
}

/** Decode the value bytes of `item` (exactly item.bytes long); `base` offsets errors. */
export function decodeDlt645Value(item: Dlt645DataItem, bytes: Uint8Array, base = 0): Dlt645Reading {
  if (bytes.length !== item.bytes)
    throw frameError('E_FRAME_LENGTH', `${item.di} (${item.key}) holds ${item.bytes} bytes, got ${bytes.length}`, base, { path: item.key });
  const raw = decodeBcd(bytes, { signed: item.signed, base });
  return {
    di: item.di,
    key: item.key,
    ...(item.measurement ? { measurement: item.measurement } : {}),
    raw,
    text: formatDlt645Raw(item, raw),
    value: (raw * item.multiply) / item.divide,
    unit: item.canonicalUnit,
  };
}

export function encodeDlt645Value(item: Dlt645DataItem, raw: number): Buffer {
  return encodeBcd(raw, item.bytes, { signed: item.signed, path: item.key });
}

/**
 * Canonical value to raw. Integer quantities (energy, money) are truncated toward zero, as a
 * register shows only completed units; instantaneous values are rounded to the nearest digit.
 */
export function dlt645RawFromCanonical(item: Dlt645DataItem, value: number): number {
  if (!Number.isFinite(value)) throw new PrepaidError('E_VALUE_RANGE', `${value} is not a finite number`, { path: item.key, value });
  const exact = (value * item.divide) / item.multiply;
  const raw = item.integer ? Math.trunc(exact) : Math.round(exact);
  return raw === 0 ? 0 : raw; // no -0
}

export function encodeDlt645CanonicalValue(item: Dlt645DataItem, value: number): Buffer {
  return encodeDlt645Value(item, dlt645RawFromCanonical(item, value));
}

/** raw 123456 in XXXXXX.XX -> "001234.56". */
export function formatDlt645Raw(item: Dlt645DataItem, raw: number): string {
  const digits = item.format.replace('.', '').length;
  const s = String(Math.abs(raw)).padStart(digits, '0');
  const body = item.decimals > 0 ? `${s.slice(0, s.length - item.decimals)}.${s.slice(s.length - item.decimals)}` : s;
  return raw < 0 ? `-${body}` : body;
}
