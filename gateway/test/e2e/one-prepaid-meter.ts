/** The credit section of the e2e tests that send signed commands: one prepaid meter p1 on a flat tariff, one utility key. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
export const STRICT = { id: 'strict', lowCreditThresholds: [1500, 600], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 } };

/** `credit:` for meter p1, trusting `<keysDir>/<keyId>.public.pem` (written by `command keygen`). */
export function oneMeterCredit(keysDir: string, keyId: string, openingBalance: number): Record<string, unknown> {
  return {
    tariffs: { flat: FLAT },
    policies: { strict: STRICT },
    classes: { residential: { tariff: 'flat', policy: 'strict' } },
    accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance }],
    keys: [{ keyId, publicKey: readFileSync(join(keysDir, `${keyId}.public.pem`), 'utf8') }],
    chargeEveryMs: 1000,
  };
}
