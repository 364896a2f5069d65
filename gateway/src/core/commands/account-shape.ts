/**
 * The fields of the money-correction commands (adjustment, refund, reverse) and of the account
 * lifecycle commands (account-open, account-close, meter-swap): docs/mqtt.md "Corrections" and
 * "Account lifecycle". Pure; shape.ts dispatches to it. Failures throw E_COMMAND_MALFORMED whose
 * message starts with the field path.
 */
import { malformed, type CommandBase, type Fields } from './command-base.js';
import { decodeSignature } from './keys.js';

/** Why money is corrected: the documented list (docs/mqtt.md "Reason codes"). */
export const CORRECTION_REASONS = ['billing-error', 'meter-fault', 'tariff-error', 'duplicate-payment', 'payment-failed', 'goodwill', 'fraud-recovery', 'other'] as const;
export type CorrectionReason = (typeof CORRECTION_REASONS)[number];

/** A second key's signature of the same canonical text as `sig` (keys.ts signedBytes). */
export interface CoSignature {
  keyId: string;
  sig: string;
}

interface CoSignable {
  cosig?: CoSignature;
}

/** Credit (`direction: credit`) or debit `amount` sub-units, with a reason code. */
export interface AdjustmentCommand extends CommandBase, CoSignable {
  type: 'adjustment';
  meter: string;
  amount: number;
  direction: 'credit' | 'debit';
  reason: CorrectionReason;
}

/** Money paid back to the customer outside the meter (cash, mobile money): debits the account. */
export interface RefundCommand extends CommandBase, CoSignable {
  type: 'refund';
  meter: string;
  amount: number;
  /** The payout's reference at the head end (receipt, transaction id), kept in the entry's cause. */
  reference?: string;
}

/** Posts the exact opposite of ledger entry `entry` of `meter`, once. */
export interface ReverseCommand extends CommandBase, CoSignable {
  type: 'reverse';
  meter: string;
  entry: number;
  reason: CorrectionReason;
}

/** Move-in: an account for `customer` on `meter`, class `customerClass`, opening balance as an audited entry. */
export interface AccountOpenCommand extends CommandBase, CoSignable {
  type: 'account-open';
  meter: string;
  customer: string;
  customerClass: string;
  /** Sub-units, >= 0. */
  openingBalance: number;
}

/** Move-out: final reading, final statement summary, remaining credit reported, supply off, closed. */
export interface AccountCloseCommand extends CommandBase {
  type: 'account-close';
  meter: string;
  /** The register (Wh) read by the person at the meter; used only when the gateway cannot read the meter itself. */
  finalReading?: number;
}

/** The meter on this account was replaced: old meter's final register, new meter's serial and start register (Wh). */
export interface MeterSwapCommand extends CommandBase {
  type: 'meter-swap';
  meter: string;
  oldFinalReading: number;
  newSerial: string;
  newStartReading: number;
}

export type AccountCommand = AdjustmentCommand | RefundCommand | ReverseCommand | AccountOpenCommand | AccountCloseCommand | MeterSwapCommand;
export type AccountCommandType = AccountCommand['type'];

/** The types whose money a second key may (above the policy's cosignAbove: must) co-sign. */
export const COSIGNED_TYPES: readonly AccountCommandType[] = ['adjustment', 'refund', 'reverse', 'account-open'];

export const ACCOUNT_FIELDS: Record<AccountCommandType, string[]> = {
  adjustment: ['meter', 'amount', 'direction', 'reason', 'cosig'],
  refund: ['meter', 'amount', 'reference', 'cosig'],
  reverse: ['meter', 'entry', 'reason', 'cosig'],
  'account-open': ['meter', 'customer', 'customerClass', 'openingBalance', 'cosig'],
  'account-close': ['meter', 'finalReading'],
  'meter-swap': ['meter', 'oldFinalReading', 'newSerial', 'newStartReading'],
};

export function checkAccountShape(type: AccountCommandType, base: CommandBase, f: Fields, o: Record<string, unknown>): AccountCommand {
  const meter = f.id('meter');
  const cosig = f.has('cosig') ? { cosig: checkCosig(o.cosig) } : {};
  switch (type) {
    case 'adjustment':
      return { ...base, type, meter, amount: f.positiveInt('amount'), direction: f.oneOf('direction', ['credit', 'debit'] as const), reason: f.oneOf('reason', CORRECTION_REASONS), ...cosig };
    case 'refund':
      return { ...base, type, meter, amount: f.positiveInt('amount'), ...(f.has('reference') ? { reference: f.id('reference') } : {}), ...cosig };
    case 'reverse':
      return { ...base, type, meter, entry: f.positiveInt('entry'), reason: f.oneOf('reason', CORRECTION_REASONS), ...cosig };
    case 'account-open':
      return { ...base, type, meter, customer: f.id('customer'), customerClass: f.id('customerClass'), openingBalance: nonNegative(o, 'openingBalance'), ...cosig };
    case 'account-close':
      return { ...base, type, meter, ...(f.has('finalReading') ? { finalReading: nonNegative(o, 'finalReading') } : {}) };
    case 'meter-swap':
      return { ...base, type, meter, oldFinalReading: nonNegative(o, 'oldFinalReading'), newSerial: f.id('newSerial'), newStartReading: nonNegative(o, 'newStartReading') };
  }
}

function nonNegative(o: Record<string, unknown>, name: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(name, v === undefined ? 'missing' : 'must be an integer >= 0');
  return v;
}

function checkCosig(v: unknown): CoSignature {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('cosig', 'must be an object {keyId, sig}');
  const c = v as Record<string, unknown>;
  const extra = Object.keys(c).find((k) => k !== 'keyId' && k !== 'sig');
  if (extra !== undefined) throw malformed(`cosig.${extra}`, 'unknown field (allowed: keyId, sig)');
  if (typeof c.keyId !== 'string' || c.keyId.length === 0 || c.keyId.length > 128 || /[\u0000-\u001f\u007f]/.test(c.keyId)) throw malformed('cosig.keyId', c.keyId === undefined ? 'missing' : 'must be a non-empty string of at most 128 characters');
  if (typeof c.sig !== 'string' || !decodeSignature(c.sig)) throw malformed('cosig.sig', 'must be the base64url (or base64) of a 64-byte Ed25519 signature');
  return { keyId: c.keyId, sig: c.sig };
}
