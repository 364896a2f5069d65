/**
 * Gateway-side acceptance of one STS token, typed on the meter keypad or sent as a command. Pure:
 * the account's token memory goes in, the effect and the new memory come out; the caller books
 * the effect and stores the memory in the same ledger transaction.
 *
 * What each token does to an account:
 * - class 0 subclass 0 (electricity, tenths of kWh): energy account -> Wh (0.1 kWh = 100 Wh, exact);
 *   currency account -> refused (E_TOKEN_UNSUPPORTED) unless `kwhOnCurrency` gives a price, then
 *   floor(kWh x subunitsPerKwh): the vending system sold energy, the account holds money.
 * - class 0 subclass 4 (currency, tenths of a unit): currency account -> sub-units (exact, or refused
 *   if subunitsPerUnit cannot hold a tenth); energy account -> refused.
 * - class 0 subclasses 1-3 (water, gas, time) and class 2 other than clear credit / clear tamper:
 *   refused, E_TOKEN_UNSUPPORTED, memory untouched (the token stays usable on the right device).
 * - class 2 subclass 1 clear credit: register 'all' or the account's own (electricity / currency).
 * - class 2 subclass 5 clear tamper.
 * - class 1 test tokens: no TID, never change memory nor credit.
 * Accepted once: a TID already in memory -> E_TOKEN_USED; older than the oldest of a full memory
 * -> E_TOKEN_OLD (protocols' acceptTid).
 */
import {
  acceptTid,
  decodeToken,
  isPrepaidError,
  PrepaidError,
  TID_MEMORY_SIZE,
  type StsToken,
} from '@prepaid-edge/protocols';
import { readStsMemory, type StsTokenMemory } from './sts-memory.js';

export type StsRejectReason = 'E_TOKEN_CRC' | 'E_TOKEN_USED' | 'E_TOKEN_OLD' | 'E_TOKEN_FORMAT' | 'E_TOKEN_UNSUPPORTED';

export type StsEffect =
  | { kind: 'credit'; subunits: number; subclass: number; service: 'electricity' | 'currency'; amountTenths: number }
  | { kind: 'clear-credit'; register: 'all' | 'electricity' | 'currency' }
  | { kind: 'clear-tamper' }
  | { kind: 'test'; subclass: number; control: string; manufacturerCode: number };

export interface StsAcceptInput {
  token: string;
  decoderKey: Buffer | string;
  baseDate: 1993 | 2014;
  /** What the ledger stored last time (undefined: no token accepted yet). */
  memory: unknown | undefined;
  /** Recorded as memory.updatedAt. */
  now: number;
  creditUnit: 'currency' | 'energy';
  /** Currency accounts: sub-units in one currency unit (the tariff's), needed for currency tokens. */
  subunitsPerUnit?: number;
  /** Currency accounts only: credit kWh tokens at this price instead of refusing them. */
  kwhOnCurrency?: { subunitsPerKwh: number };
  /** TIDs remembered (default 50, the standard's minimum). */
  tidCapacity?: number;
}

export type StsAcceptResult =
  | {
      ok: true;
      effect: StsEffect;
      /** JSON-serialisable; store it with the posting. Test tokens return the memory unchanged. */
      memory: unknown;
      class: number;
      subclass: number;
      /** null for class 1 test tokens, which carry no TID. */
      tid: number | null;
      issuedAt: number | null;
    }
  | { ok: false; reason: StsRejectReason; message: string };

const refuse = (reason: StsRejectReason, message: string): StsAcceptResult => ({ ok: false, reason, message });

function checkSetting(value: number | undefined, path: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
    throw new PrepaidError('E_VALUE_RANGE', `${path} must be a positive integer, got ${value}`, { path });
}

type Verdict = { effect: StsEffect } | { refusal: StsAcceptResult };

function creditEffect(t: Extract<StsToken, { kind: 'credit' }>, input: StsAcceptInput): Verdict {
  const { amountTenths, subclass } = t;
  if (t.service === 'electricity') {
    if (input.creditUnit === 'energy') return { effect: { kind: 'credit', subunits: amountTenths * 100, subclass, service: 'electricity', amountTenths } };
    if (input.kwhOnCurrency === undefined)
      return { refusal: refuse('E_TOKEN_UNSUPPORTED', `electricity token (${t.amount} kWh) on a currency account; configure a kWh price to accept it`) };
    const subunits = Math.floor((amountTenths * input.kwhOnCurrency.subunitsPerKwh) / 10);
    return { effect: { kind: 'credit', subunits, subclass, service: 'electricity', amountTenths } };
  }
  if (t.service === 'currency') {
    if (input.creditUnit !== 'currency') return { refusal: refuse('E_TOKEN_UNSUPPORTED', `currency token (${t.amount}) on an energy account`) };
    if (input.subunitsPerUnit === undefined)
      throw new PrepaidError('E_VALUE_RANGE', 'subunitsPerUnit is required to accept currency tokens', { path: 'subunitsPerUnit' });
    const scaled = amountTenths * input.subunitsPerUnit;
    if (scaled % 10 !== 0)
      return { refusal: refuse('E_TOKEN_UNSUPPORTED', `currency token of ${t.amount} is finer than the account's sub-unit (1/${input.subunitsPerUnit})`) };
    return { effect: { kind: 'credit', subunits: scaled / 10, subclass, service: 'currency', amountTenths } };
  }
  return { refusal: refuse('E_TOKEN_UNSUPPORTED', `${t.service} credit token (class 0 subclass ${subclass}) on an electricity account`) };
}

function effectOf(t: StsToken, input: StsAcceptInput): Verdict {
  switch (t.kind) {
    case 'credit':
      return creditEffect(t, input);
    case 'clearCredit': {
      const own = input.creditUnit === 'energy' ? 'electricity' : 'currency';
      if (t.register === 'all' || t.register === own) return { effect: { kind: 'clear-credit', register: t.register } };
      return { refusal: refuse('E_TOKEN_UNSUPPORTED', `clear-credit token for the ${t.register} register; this account holds ${own} credit`) };
    }
    case 'clearTamper':
      return { effect: { kind: 'clear-tamper' } };
    case 'test':
      return { effect: { kind: 'test', subclass: t.subclass, control: t.control.toString(16), manufacturerCode: t.manufacturerCode } };
    default:
      return { refusal: refuse('E_TOKEN_UNSUPPORTED', `class ${t.class} subclass ${t.subclass} tokens (${t.kind}) are not accepted by this gateway`) };
  }
}

/**
 * Token problems come back as `{ ok: false }`; problems with the caller's settings (malformed key,
 * damaged memory, bad subunitsPerUnit) throw PrepaidError, since no token could fix them.
 */
export function acceptStsToken(input: StsAcceptInput): StsAcceptResult {
  checkSetting(input.subunitsPerUnit, 'subunitsPerUnit');
  checkSetting(input.kwhOnCurrency?.subunitsPerKwh, 'kwhOnCurrency.subunitsPerKwh');
  const capacity = input.tidCapacity ?? TID_MEMORY_SIZE;
  checkSetting(capacity, 'tidCapacity');
  const memory = readStsMemory(input.memory, input.baseDate, capacity);

  let token: StsToken;
  try {
    token = decodeToken(input.token, input.decoderKey, { baseDate: input.baseDate });
  } catch (e) {
    if (isPrepaidError(e) && (e.code === 'E_TOKEN_FORMAT' || e.code === 'E_TOKEN_CRC')) return refuse(e.code, e.message);
    throw e;
  }

  const verdict = effectOf(token, input);
  if ('refusal' in verdict) return verdict.refusal;
  const base = { ok: true as const, effect: verdict.effect, class: token.class, subclass: token.subclass };
  if (!('tid' in token)) return { ...base, memory: input.memory ?? memory, tid: null, issuedAt: null };

  const issued = token.issuedAt.toISOString();
  const tid = acceptTid(memory.tids, token.tid, capacity);
  if (!tid.accepted) {
    return tid.reason === 'used'
      ? refuse('E_TOKEN_USED', `token TID ${token.tid} (issued ${issued}) was already accepted`)
      : refuse('E_TOKEN_OLD', `token TID ${token.tid} (issued ${issued}) is older than the ${capacity} TIDs remembered`);
  }
  const next: StsTokenMemory = { v: 1, baseDate: input.baseDate, tids: [...tid.memory], updatedAt: input.now };
  return { ...base, memory: next, tid: token.tid, issuedAt: token.issuedAt.getTime() };
}
