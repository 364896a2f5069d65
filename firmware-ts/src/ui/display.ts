/**
 * What the character LCD shows, as a pure function of the meter's state: credit on line 1, energy
 * and relay on line 2; a keypad entry or a token result replaces them for a while; page 1 shows
 * the nameplate and bus settings.
 */
import { STATUS, RELAY, type RelayState } from '../core/types.js';
import { formatKwh, formatMinor } from './format.js';

export interface DisplayView {
  cols: number;
  page: number;
  entry: string;
  message: readonly [string, string] | undefined;
  status: number;
  creditBalance: number;
  creditDecimals: number;
  /** Token credit left (Wh), shown instead of the balance when the meter runs standalone. */
  localCreditWh: number | undefined;
  importWh: number;
  relayState: RelayState;
  serialNumber: number;
  unitId: number;
  baudRate: number;
  parity: string;
}

const RELAY_TEXT: Record<RelayState, string> = { [RELAY.DISCONNECTED]: 'OFF', [RELAY.CONNECTED]: 'ON', [RELAY.READY]: 'RDY' };

/** Left text and right text on one line of `cols`, the left cut if both do not fit. */
function line(left: string, right: string, cols: number): string {
  const room = Math.max(0, cols - right.length);
  return (left.slice(0, room).padEnd(room) + right).slice(0, cols);
}

function flags(status: number): string {
  let f = '';
  if (status & (STATUS.COVER_TAMPER | STATUS.MAGNETIC_TAMPER | STATUS.BYPASS)) f += 'T';
  if (status & STATUS.CREDIT_EXHAUSTED) f += 'X';
  else if (status & (STATUS.LOW_CREDIT | STATUS.LOW_CREDIT_2)) f += 'L';
  if (status & STATUS.EMERGENCY_CREDIT) f += 'E';
  return f;
}

export function renderDisplay(v: DisplayView): [string, string] {
  const cols = v.cols;
  if (v.entry.length > 0) {
    const shown = v.entry.length > cols ? v.entry.slice(-cols) : v.entry;
    return [line('TOKEN', `${v.entry.length}/20`, cols), line(shown, '', cols)];
  }
  if (v.message) return [line(v.message[0], '', cols), line(v.message[1], '', cols)];
  if (v.page === 1) return [line(`SN ${v.serialNumber}`, '', cols), line(`ID${v.unitId} ${v.baudRate}${v.parity[0]!.toUpperCase()}`, '', cols)];
  const standalone = (v.status & STATUS.STANDALONE) !== 0;
  const credit =
    standalone && v.localCreditWh !== undefined ? `CR ${formatKwh(v.localCreditWh, 2)}kWh` : `BAL ${formatMinor(v.creditBalance, v.creditDecimals)}`;
  return [line(credit, flags(v.status), cols), line(`${formatKwh(v.importWh, 1)}kWh`, RELAY_TEXT[v.relayState], cols)];
}

/** Two-line messages for token results and requests. */
export const MESSAGES = {
  credit: (wh: number): [string, string] => ['TOKEN ACCEPTED', `+${formatKwh(wh, 1)} kWh`],
  test: ['TEST TOKEN OK', 'DISPLAY TEST'] as [string, string],
  clearCredit: ['TOKEN ACCEPTED', 'CREDIT CLEARED'] as [string, string],
  clearTamper: ['TOKEN ACCEPTED', 'TAMPER CLEARED'] as [string, string],
  used: ['TOKEN REJECTED', 'ALREADY USED'] as [string, string],
  old: ['TOKEN REJECTED', 'TOKEN TOO OLD'] as [string, string],
  invalid: ['TOKEN REJECTED', 'INVALID TOKEN'] as [string, string],
  format: ['TOKEN REJECTED', 'BAD FORMAT'] as [string, string],
  'wrong-service': ['TOKEN REJECTED', 'WRONG SERVICE'] as [string, string],
  unsupported: ['TOKEN REJECTED', 'NOT SUPPORTED'] as [string, string],
  'no-key': ['TOKEN REJECTED', 'NO KEY LOADED'] as [string, string],
  overflow: ['TOKEN REJECTED', 'CREDIT OVERFLOW'] as [string, string],
  incomplete: ['ENTER 20 DIGITS', 'THEN #'] as [string, string],
  emergencyGranted: ['EMERGENCY CREDIT', 'GRANTED'] as [string, string],
  emergencyRefused: ['EMERGENCY CREDIT', 'NOT AVAILABLE'] as [string, string],
  emergencyRequested: ['EMERGENCY CREDIT', 'REQUESTED'] as [string, string],
  reconnected: ['SUPPLY', 'RECONNECTED'] as [string, string],
  notArmed: ['RECONNECT', 'NOT ALLOWED'] as [string, string],
  /** gatewayMessage codes 1-3 (map revision 2, holding 21), written by the gateway. */
  gateway1: ['TOKEN REFUSED', 'NO TARIFF'] as [string, string],
  gateway2: ['TOKEN REFUSED', 'NOT ALLOWED'] as [string, string],
  gateway3: ['TOKEN BOOKED', 'BY GATEWAY'] as [string, string],
} as const;
