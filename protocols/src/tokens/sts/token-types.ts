/** Decoded STS tokens, discriminated by `kind`. Every kind keeps the raw 44-bit body for re-encoding. */

export type StsTokenClass = 0 | 1 | 2;

/** Class 0 subclasses 0..4. */
export type CreditService = 'electricity' | 'water' | 'gas' | 'time' | 'currency';
export const CREDIT_SERVICES: readonly CreditService[] = ['electricity', 'water', 'gas', 'time', 'currency'];

/** ClearCredit register value meaning "every credit register" (our reading of the standard's table). */
export const CLEAR_ALL_REGISTERS = 0xffff;

interface TokenCommon {
  class: StsTokenClass;
  subclass: number;
  /** Bits 16..59 of the plaintext data block. */
  body: bigint;
  crc: number;
}

interface Timed {
  /** 4-bit random number. */
  random: number;
  /** Minutes since the base date. */
  tid: number;
  issuedAt: Date;
}

export interface CreditToken extends TokenCommon, Timed {
  class: 0;
  kind: 'credit';
  service: CreditService;
  amountRaw: number;
  /** Exact amount in tenths of a unit: use this in ledgers. */
  amountTenths: number;
  /** amountTenths / 10, for display. */
  amount: number;
}

/** Class 1, sent in clear. Subclass 0: 36-bit control + 8-bit manufacturer code; subclass 1: 28 + 16. */
export interface TestToken extends TokenCommon {
  class: 1;
  kind: 'test';
  subclass: 0 | 1;
  /** Bit field of tests/displays requested; meaning of each bit per IEC 62055-41 (not mapped here). */
  control: bigint;
  manufacturerCode: number;
}

interface ManagementCommon extends TokenCommon, Timed {
  class: 2;
  /** The raw 16-bit field. */
  value: number;
}

export interface SetMaximumPowerLimitToken extends ManagementCommon {
  kind: 'setMaximumPowerLimit';
  subclass: 0;
  watts: number;
}
export interface ClearCreditToken extends ManagementCommon {
  kind: 'clearCredit';
  subclass: 1;
  register: CreditService | 'all' | 'reserved';
}
export interface SetTariffRateToken extends ManagementCommon {
  kind: 'setTariffRate';
  subclass: 2;
}
export interface ClearTamperToken extends ManagementCommon {
  kind: 'clearTamper';
  subclass: 5;
}
export interface SetPhaseUnbalanceLimitToken extends ManagementCommon {
  kind: 'setMaximumPhasePowerUnbalanceLimit';
  subclass: 6;
  watts: number;
}
export interface SetWaterMeterFactorToken extends ManagementCommon {
  kind: 'setWaterMeterFactor';
  subclass: 7;
}

/** 1st section of a decoder key change (class 2 subclass 3). */
export interface KeyChangeFirstToken extends TokenCommon {
  class: 2;
  kind: 'keyChange1';
  subclass: 3;
  keyExpiryHigh: number;
  keyRevision: number;
  rollover: boolean;
  reservedBit: number;
  keyType: number;
  /** High 32 bits of the new key read as a little-endian 64-bit number (as the STA reads keys). */
  newKeyHigh: number;
}

/** 2nd section of a decoder key change (class 2 subclass 4). */
export interface KeyChangeSecondToken extends TokenCommon {
  class: 2;
  kind: 'keyChange2';
  subclass: 4;
  keyExpiryLow: number;
  tariffIndex: number;
  newKeyLow: number;
}

/** A class/subclass whose fields we do not map (reserved, or the MISTY1-only key sections 8 and 9). */
export interface UnmappedToken extends TokenCommon {
  kind: 'unmapped';
}

export type ManagementToken =
  | SetMaximumPowerLimitToken
  | ClearCreditToken
  | SetTariffRateToken
  | ClearTamperToken
  | SetPhaseUnbalanceLimitToken
  | SetWaterMeterFactorToken
  | KeyChangeFirstToken
  | KeyChangeSecondToken;

export type StsToken = CreditToken | TestToken | ManagementToken | UnmappedToken;
