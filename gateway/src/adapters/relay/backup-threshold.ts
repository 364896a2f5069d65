/**
 * Where the `prepaid` meter's backup disconnect threshold goes: the energy register value at which
 * the credit is used up at the highest price the tariff can charge, so a meter whose gateway died
 * never trips later than the gateway would have. Pure integer arithmetic (BigInt inside).
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { Tariff } from '../../core/credit/contracts.js';

const MAX_U64_SAFE = Number.MAX_SAFE_INTEGER;

function wholeNonNegative(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new PrepaidError('E_VALUE_RANGE', `${name}: ${v} is not a whole number >= 0`, { path: name, value: v });
}

/** The highest price per kWh the tariff can charge: dearest period plus the largest tier adder. */
export function worstCasePricePerKwh(tariff: Pick<Tariff, 'periods' | 'tiers'>): number {
  const period = Math.max(0, ...tariff.periods.map((p) => p.pricePerKwh));
  const adder = Math.max(0, ...(tariff.tiers ?? []).map((t) => t.adderPerKwh));
  return period + adder;
}

/**
 * energyImport value (Wh) at which `spendable` sub-units are used up at `worstPricePerKwh`
 * sub-units per kWh, starting from `currentWh`:
 *
 *   currentWh + ceil(spendable × 1000 / worstPricePerKwh)
 *
 * - `spendable` is the credit the gateway would let the customer use before tripping (balance,
 *   plus emergency credit or debt allowance while they apply; minus a reserve for standing charges
 *   due before the next sync, if the caller wants the meter to cover those too).
 * - Rounding is up: at the returned value the worst-case cost reaches spendable, one Wh less does
 *   not. The worst price makes the meter stop no later than the gateway would if prices rise while
 *   it is gone; when the real price is lower the meter may stop first, and the gateway (still
 *   showing credit) raises the threshold and closes the relay again (credit-engine.ts).
 * - spendable <= 0 gives currentWh (trip at once); as 0 means "disabled" in the register, a result
 *   of 0 becomes 1 (at most 1 Wh more).
 * - worstPricePerKwh 0 (free energy) gives 0: no backup disconnect.
 */
export function backupThresholdWh(currentWh: number, spendable: number, worstPricePerKwh: number): number {
  wholeNonNegative('currentWh', currentWh);
  wholeNonNegative('worstPricePerKwh', worstPricePerKwh);
  if (!Number.isSafeInteger(spendable)) throw new PrepaidError('E_VALUE_RANGE', `spendable: ${spendable} is not a whole number`, { path: 'spendable', value: spendable });
  if (worstPricePerKwh === 0) return 0;
  // Ceiling: the first Wh at which the worst-case cost reaches the credit. At that energy the
  // gateway, charging at most the worst price, is out of credit too, so the meter never opens while
  // the gateway still shows credit (a floor would strand a customer with a fraction of a Wh left).
  const price = BigInt(worstPricePerKwh);
  const affordable = spendable <= 0 ? 0n : (BigInt(spendable) * 1000n + price - 1n) / price;
  const wh = BigInt(currentWh) + affordable;
  const out = wh > BigInt(MAX_U64_SAFE) ? MAX_U64_SAFE : Number(wh);
  return Math.max(1, out);
}
