/** An account, its memory and its settings for the decision-step vectors (decide.test.ts). */
import type { Account, AccountState, ChargeCursor, Policy } from '../../src/core/credit/contracts.js';
import type { MeterMemory, MeterSettings } from '../../src/core/credit/decision.js';
import { startPending } from '../../src/core/credit/pending-charges.js';
import { UsageWindow } from '../../src/core/credit/usage-window.js';
import { parsePolicy } from '../../src/core/policy/index.js';
import { baselineCursor, parseTariff } from '../../src/core/tariff/index.js';

export const T0 = Date.UTC(2026, 0, 5, 12);
export const MIN = 60_000;
export const HOUR = 3_600_000;

/** 300 milli-EUR per kWh, no standing charge: 1 Wh = 0.3 sub-units. */
export const tariff = parseTariff({ id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 });
export const policy: Policy = parsePolicy({ id: 'p', lowCreditThresholds: [200, 100], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } });
export const noticePolicy: Policy = { ...policy, id: 'notice', disconnectNoticeMs: 30 * MIN };

export const connected: AccountState = { supply: 'connected', warned: -1, emergency: { offered: false, inUse: false, outstanding: 0 }, disconnectAt: null, friendlyZero: false };

export function cursorAt(ts: number, wh: number): ChargeCursor {
  return baselineCursor({ ts, wh }, 'UTC', [{ activeFrom: 0, tariff }]);
}

export function account(o: Partial<Account> = {}): Account {
  return { meter: 'm1', customer: 'C', customerClass: 'c', creditUnit: 'currency', currency: 'EUR', balance: 1000, state: connected, cursor: cursorAt(T0, 10_000), createdAt: 0, ...o };
}

export function memory(o: Partial<MeterMemory> = {}): MeterMemory {
  return { account: account(), resetPending: false, tamper: [], usage: new UsageWindow(), ...o };
}

/** Memory with 10 minutes of priced, unbooked consumption (400 Wh = 120 sub-units) since the cursor. */
export function withPending(m: MeterMemory): MeterMemory {
  const p = startPending(m.account.cursor!);
  return { ...m, pending: { ...p, consumption: 120, cursor: cursorAt(T0 + 10 * MIN, 10_400) } };
}

export function settings(o: Partial<MeterSettings> & { policy?: Policy } = {}): MeterSettings {
  const { policy: pol = policy, ...rest } = o;
  return { zone: 'UTC', chargeEveryMs: HOUR, syncsMeter: true, creditUnit: 'currency', currency: 'EUR', timeCredited: false, versions: [{ activeFrom: 0, tariff }], policies: { configured: pol, versions: [] }, ...rest };
}
