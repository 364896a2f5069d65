/** One account p1 in class r on a flat tariff, with a policy that keeps every relay move the gateway's. */
import { KEYS } from './signer.js';

export const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };

/**
 * A policy with `extra` (maxDemand, points, ...). A friendly window that never applies keeps the
 * meter's own backup threshold off.
 */
export function policyWith(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'p',
    lowCreditThresholds: [1500, 600],
    emergencyCredit: null,
    friendly: { windows: [{ days: ['holiday'], from: '00:00', to: '00:00' }], holidays: [] },
    disconnectNoticeMs: 0,
    maxDebt: 0,
    reconnect: { mode: 'auto', threshold: 100 },
    ...extra,
  };
}

/** The credit: section for p1. */
export function oneAccount(policy: Record<string, unknown>, openingBalance: number, tariff: Record<string, unknown> = FLAT): Record<string, unknown> {
  return { tariffs: { [tariff.id as string]: tariff }, policies: { p: policy }, classes: { r: { tariff: tariff.id, policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance }], keys: KEYS };
}
