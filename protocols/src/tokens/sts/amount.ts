/**
 * STS TransferAmount: 2-bit exponent e (bits 14-15) and 14-bit mantissa m, in tenths of a unit:
 *   tenths = m * 10^e + sum_{i=1..e} 2^14 * 10^(i-1)
 * so each exponent continues where the previous one ended. Ledgers keep the integer tenths.
 */
import { PrepaidError } from '../../errors.js';

const MANTISSA_MAX = 0x3fff;
/** Tenths where each exponent range starts: 0, 16384, 180224, 1818624. */
const OFFSETS: readonly number[] = [0, 16_384, 180_224, 1_818_624];
const STEPS: readonly number[] = [1, 10, 100, 1000];
/** Largest amount a token can carry, 1,820,162.4 units (= 1818624 + 16383 * 1000). */
export const MAX_AMOUNT_TENTHS = 18_201_624;

export interface DecodedAmount {
  /** Exact amount in tenths of a unit (kWh, m3, currency unit...). */
  tenths: number;
  /** tenths / 10, for display only. */
  units: number;
  exponent: number;
  mantissa: number;
}

export function decodeAmount(raw16: number): DecodedAmount {
  if (!Number.isInteger(raw16) || raw16 < 0 || raw16 > 0xffff)
    throw new PrepaidError('E_VALUE_RANGE', `amount field must be 16 bits, got ${raw16}`, { path: 'amountRaw' });
  const exponent = raw16 >>> 14;
  const mantissa = raw16 & MANTISSA_MAX;
  const tenths = mantissa * STEPS[exponent]! + OFFSETS[exponent]!;
  return { tenths, units: tenths / 10, exponent, mantissa };
}

/** Smallest representable amount >= tenths (the standard rounds in the customer's favour). */
export function encodeAmountTenths(tenths: number): number {
  if (!Number.isSafeInteger(tenths) || tenths < 0 || tenths > MAX_AMOUNT_TENTHS)
    throw new PrepaidError('E_VALUE_RANGE', `amount must be an integer 0..${MAX_AMOUNT_TENTHS} tenths, got ${tenths}`, {
      path: 'amountTenths',
    });
  for (let e = 0; e < 4; e++) {
    const offset = OFFSETS[e]!;
    const step = STEPS[e]!;
    // A value between two ranges rounds up to the next range's start (mantissa 0).
    const mantissa = tenths <= offset ? 0 : Math.ceil((tenths - offset) / step);
    if (mantissa <= MANTISSA_MAX) return (e << 14) | mantissa;
  }
  throw new PrepaidError('E_VALUE_RANGE', `amount ${tenths} tenths does not fit`, { path: 'amountTenths' });
}

/** Units that are an exact number of tenths (e.g. 25.6), rounded up like encodeAmountTenths. */
export function encodeAmount(units: number): number {
  return encodeAmountTenths(unitsToTenths(units));
}

/** Converts a decimal number of units to integer tenths, refusing anything finer than 0.1. */
export function unitsToTenths(units: number): number {
  const scaled = units * 10;
  const tenths = Math.round(scaled);
  if (!Number.isFinite(scaled) || Math.abs(scaled - tenths) > 1e-6 * Math.max(1, Math.abs(scaled)))
    throw new PrepaidError('E_VALUE_RANGE', `amount ${units} is not a whole number of tenths`, { path: 'amount' });
  return tenths;
}

/**
 * MaximumPowerLimit and MaximumPhasePowerUnbalanceLimit use the TransferAmount formula, but the
 * standard states them "in watts"; we read the formula's integer result as whole watts.
 */
export function decodePowerLimit(raw16: number): number {
  return decodeAmount(raw16).tenths;
}

export function encodePowerLimit(watts: number): number {
  return encodeAmountTenths(watts);
}
