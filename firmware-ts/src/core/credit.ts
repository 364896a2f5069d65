/** Credit status bits 4, 5, 9 from the gateway-owned balance (map: holding 0-7). */
import { STATUS, type Settings } from './types.js';

export function creditFlags(s: Settings, emergencyInUse: boolean): number {
  let f = 0;
  if (s.lowCreditThreshold1 !== 0 && s.creditBalance <= s.lowCreditThreshold1) f |= STATUS.LOW_CREDIT;
  if (s.lowCreditThreshold2 !== 0 && s.creditBalance <= s.lowCreditThreshold2) f |= STATUS.LOW_CREDIT_2;
  const floor = emergencyInUse ? -s.emergencyCreditLimit : 0;
  if (s.creditBalance <= floor) f |= STATUS.CREDIT_EXHAUSTED;
  return f;
}

/** Local (token) credit left in Wh, or undefined when the backup threshold is off (no local credit register). */
export function localCreditWh(thresholdWh: number, importWh: number): number | undefined {
  return thresholdWh === 0 ? undefined : Math.max(0, thresholdWh - importWh);
}
