/** 20-digit token -> typed fields. Classes 0 and 2 are decrypted with the STA; class 1 is clear. */
import { PrepaidError } from '../../errors.js';
import { decodeAmount, decodePowerLimit } from './amount.js';
import { expectedCrc, readTimedBody, splitBlock, type DataBlock } from './data-block.js';
import { toKeyBytes, type KeyInput } from './key-input.js';
import { staDecrypt } from './sta.js';
import { dateFromTid, type StsBaseDate } from './tid.js';
import { parseTokenNumber } from './token-number.js';
import { CLEAR_ALL_REGISTERS, CREDIT_SERVICES, type ClearCreditToken, type StsToken, type StsTokenClass } from './token-types.js';

export interface DecodeOptions {
  /** Base date of the meter's key revision; default 1993. */
  baseDate?: StsBaseDate;
}

function bits(value: bigint, from: number, count: number): number {
  return Number((value >> BigInt(from)) & ((1n << BigInt(count)) - 1n));
}

/** Decrypts (classes 0, 2) and CRC-checks a token; returns its class and plaintext data block. */
export function openToken(token: string, key?: KeyInput): { tokenClass: StsTokenClass; block: bigint } {
  const { tokenClass, block: transmitted } = parseTokenNumber(token);
  if (tokenClass === 3) throw new PrepaidError('E_TOKEN_FORMAT', 'token class 3 is reserved', { path: 'token' });
  let block = transmitted;
  if (tokenClass !== 1) {
    if (key === undefined) throw new PrepaidError('E_TOKEN_KEY', `class ${tokenClass} tokens need a decoder key`, { path: 'key' });
    block = staDecrypt(transmitted, toKeyBytes(key));
  }
  const want = expectedCrc(tokenClass, block);
  const got = Number(block & 0xffffn);
  if (want !== got)
    throw new PrepaidError('E_TOKEN_CRC', 'token CRC does not match (wrong key or mistyped token)', {
      path: 'token',
      tokenClass,
    });
  return { tokenClass: tokenClass as StsTokenClass, block };
}

export function decodeToken(token: string, key?: KeyInput, opts: DecodeOptions = {}): StsToken {
  const { tokenClass, block } = openToken(token, key);
  const parts = splitBlock(block);
  if (tokenClass === 0) return decodeCredit(parts, opts.baseDate ?? 1993);
  if (tokenClass === 1) return decodeTest(parts);
  return decodeManagement(parts, opts.baseDate ?? 1993);
}

function decodeCredit(p: DataBlock, baseDate: StsBaseDate): StsToken {
  const service = CREDIT_SERVICES[p.subclass];
  if (service === undefined) return { class: 0, kind: 'unmapped', ...p };
  const { random, tid, field } = readTimedBody(p.body);
  const amount = decodeAmount(field);
  return {
    class: 0,
    kind: 'credit',
    ...p,
    service,
    random,
    tid,
    issuedAt: dateFromTid(tid, baseDate),
    amountRaw: field,
    amountTenths: amount.tenths,
    amount: amount.units,
  };
}

function decodeTest(p: DataBlock): StsToken {
  if (p.subclass === 0)
    return { class: 1, kind: 'test', ...p, subclass: 0, control: p.body >> 8n, manufacturerCode: bits(p.body, 0, 8) };
  if (p.subclass === 1)
    return { class: 1, kind: 'test', ...p, subclass: 1, control: p.body >> 16n, manufacturerCode: bits(p.body, 0, 16) };
  return { class: 1, kind: 'unmapped', ...p };
}

function clearedRegister(value: number): ClearCreditToken['register'] {
  if (value === CLEAR_ALL_REGISTERS) return 'all';
  return CREDIT_SERVICES[value] ?? 'reserved';
}

function decodeManagement(p: DataBlock, baseDate: StsBaseDate): StsToken {
  if (p.subclass === 3)
    return {
      class: 2,
      kind: 'keyChange1',
      ...p,
      subclass: 3,
      newKeyHigh: bits(p.body, 0, 32),
      keyType: bits(p.body, 32, 2),
      reservedBit: bits(p.body, 34, 1),
      rollover: bits(p.body, 35, 1) === 1,
      keyRevision: bits(p.body, 36, 4),
      keyExpiryHigh: bits(p.body, 40, 4),
    };
  if (p.subclass === 4)
    return {
      class: 2,
      kind: 'keyChange2',
      ...p,
      subclass: 4,
      newKeyLow: bits(p.body, 0, 32),
      tariffIndex: bits(p.body, 32, 8),
      keyExpiryLow: bits(p.body, 40, 4),
    };
  const { random, tid, field } = readTimedBody(p.body);
  const common = { class: 2 as const, ...p, random, tid, issuedAt: dateFromTid(tid, baseDate), value: field };
  switch (p.subclass) {
    case 0:
      return { ...common, kind: 'setMaximumPowerLimit', subclass: 0, watts: decodePowerLimit(field) };
    case 1:
      return { ...common, kind: 'clearCredit', subclass: 1, register: clearedRegister(field) };
    case 2:
      return { ...common, kind: 'setTariffRate', subclass: 2 };
    case 5:
      return { ...common, kind: 'clearTamper', subclass: 5 };
    case 6:
      return { ...common, kind: 'setMaximumPhasePowerUnbalanceLimit', subclass: 6, watts: decodePowerLimit(field) };
    case 7:
      return { ...common, kind: 'setWaterMeterFactor', subclass: 7 };
    default:
      return { class: 2, kind: 'unmapped', ...p };
  }
}
