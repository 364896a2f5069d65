/**
 * Demand charges (tariff `demandCharge`): the billing month's maximum demand — the highest average
 * power over one demand period (`periodMinutes`, aligned to the hour: 15 min = :00, :15, :30, :45),
 * measured from the energy counter — is charged at `pricePerKw` sub-units per kW when the billing
 * month ends, as an integer (rounded to the nearest sub-unit).
 *
 * Each period's average is the energy between the first readings of two consecutive periods over
 * the time between them; after a gap (failed reads) that time is longer and the average lower, so
 * a hole never makes demand up.
 */
import type { Tariff } from '../credit/contracts.js';

export interface DemandCursor {
  /** The demand period the last measurement started in (index of periodMs since the epoch). */
  block: number;
  /** Counter and time at that start. */
  fromWh: number;
  fromTs: number;
  /** Highest period average this billing month, W, and the month ('YYYY-MM' of the charge cursor). */
  maxW: number;
  month: string;
}

export interface DemandCharge {
  month: string;
  maxDemandW: number;
  pricePerKw: number;
  amount: number;
}

export function demandChargeAmount(maxW: number, pricePerKw: number): number {
  return Math.round((maxW * pricePerKw) / 1000);
}

/**
 * One reading (counter `wh` at `ts`, in billing month `month`) against the demand cursor. Returns
 * the next cursor and, when the billing month changed, the charge for the month that ended.
 */
export function demandStep(cur: DemandCursor | undefined, rule: NonNullable<Tariff['demandCharge']>, ts: number, wh: number, month: string): { cursor: DemandCursor; charge?: DemandCharge } {
  const periodMs = (rule.periodMinutes ?? 15) * 60_000;
  const block = Math.floor(ts / periodMs);
  if (!cur || wh < cur.fromWh || ts <= cur.fromTs) return { cursor: { block, fromWh: wh, fromTs: ts, maxW: cur && cur.month === month ? cur.maxW : 0, month } };
  let maxW = cur.maxW;
  let next: DemandCursor = cur;
  if (block > cur.block) {
    const w = Math.round(((wh - cur.fromWh) * 3_600_000) / (ts - cur.fromTs));
    if (w > maxW) maxW = w;
    next = { block, fromWh: wh, fromTs: ts, maxW, month: cur.month };
  }
  if (month === cur.month) return { cursor: next.maxW === maxW ? next : { ...next, maxW } };
  const charge: DemandCharge = { month: cur.month, maxDemandW: maxW, pricePerKw: rule.pricePerKw, amount: demandChargeAmount(maxW, rule.pricePerKw) };
  return { cursor: { block, fromWh: wh, fromTs: ts, maxW: 0, month }, charge };
}
