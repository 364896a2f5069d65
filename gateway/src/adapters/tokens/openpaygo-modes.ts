/** The CLI's and the ledger's short names for the four OpenPAYGO token types. */
import type { OpenPaygoTokenType } from '@prepaid-edge/protocols';

export type OpenPaygoMode = 'add' | 'set' | 'unlock' | 'sync';

export const OPENPAYGO_MODES: Readonly<Record<OpenPaygoMode, OpenPaygoTokenType>> = {
  add: 'ADD_TIME',
  set: 'SET_TIME',
  unlock: 'DISABLE_PAYG',
  sync: 'COUNTER_SYNC',
};

export function modeOf(type: OpenPaygoTokenType): OpenPaygoMode {
  const found = (Object.keys(OPENPAYGO_MODES) as OpenPaygoMode[]).find((m) => OPENPAYGO_MODES[m] === type);
  if (found === undefined) throw new Error(`unknown OpenPAYGO token type ${type}`);
  return found;
}
