/**
 * The `token sts` actions as pure functions: raw option strings in, a JSON-ready object out, or a
 * TokenCliError. token-cli.ts only wires them to commander.
 */
import {
  controlBlockHex,
  decodeToken,
  deriveDecoderKeyDkga02,
  encodeToken,
  panBlockHex,
  unitsToTenths,
  type StsBaseDate,
  type StsEncodeInput,
  type StsToken,
} from '@prepaid-edge/protocols';
import {
  checkTokenDigits,
  parseHexBigint,
  parseInstant,
  parseIntOption,
  refuseOptions,
  requireOption,
  toCliError,
  TokenCliError,
} from './cli-input.js';

export interface StsDeriveKeyOptions {
  vendingKey: string;
  pan: string;
  sgc: string;
  ti: string;
  krn: string;
  kt: string;
}

export interface StsDecodeOptions {
  key?: string;
  baseDate?: string;
}

export interface StsEncodeOptions {
  key?: string;
  class: string;
  subclass: string;
  amount?: string;
  issuedAt?: string;
  random?: string;
  value?: string;
  control?: string;
  manufacturerCode?: string;
  baseDate?: string;
}

/** A decoded token as JSON: bigints in hex, dates in ISO 8601, the CRC as 4 hex digits. */
export type StsTokenJson = Record<string, string | number | boolean>;

function parseBaseDate(text: string | undefined): StsBaseDate {
  // The choice itself is checked by commander (and again by the codec); 1993 is the codec's default.
  return (text === undefined ? 1993 : parseIntOption('--base-date', text)) as StsBaseDate;
}

function guarded<T>(token: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toCliError(e, token);
  }
}

export function stsDeriveKey(o: StsDeriveKeyOptions): { decoderKey: string; panBlock: string; controlBlock: string } {
  return guarded(undefined, () => {
    const keyRevision = parseIntOption('--krn', o.krn);
    const keyType = parseIntOption('--kt', o.kt);
    const params = { vendingKey: o.vendingKey, pan: o.pan, supplyGroupCode: o.sgc, tariffIndex: o.ti, keyRevision, keyType };
    const decoderKey = deriveDecoderKeyDkga02(params).toString('hex');
    return { decoderKey, panBlock: panBlockHex(o.pan), controlBlock: controlBlockHex(params) };
  });
}

export function stsTokenToJson(t: StsToken, baseDate: StsBaseDate): StsTokenJson {
  const out: StsTokenJson = { class: t.class, subclass: t.subclass, kind: t.kind };
  for (const [name, v] of Object.entries(t)) {
    if (name in out) continue;
    if (typeof v === 'bigint') out[name] = v.toString(16);
    else if (v instanceof Date) out[name] = v.toISOString();
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[name] = v;
  }
  out.crc = t.crc.toString(16).padStart(4, '0');
  if ('tid' in t) out.baseDate = baseDate;
  return out;
}

export function stsDecode(token: string, o: StsDecodeOptions): StsTokenJson {
  return guarded(token, () => {
    checkTokenDigits(token, /\d/, 'a digit');
    const baseDate = parseBaseDate(o.baseDate);
    return stsTokenToJson(decodeToken(token, o.key, { baseDate }), baseDate);
  });
}

const CLASS0_ONLY = { amount: '--amount' };
const CLASS1_ONLY = { control: '--control', manufacturerCode: '--manufacturer-code' };
const TIMED = { issuedAt: '--issued-at', random: '--random' };

function encodeInput(o: StsEncodeOptions): StsEncodeInput {
  const tokenClass = parseIntOption('--class', o.class);
  const subclass = parseIntOption('--subclass', o.subclass);
  const forClass = `by class ${tokenClass} tokens`;
  if (tokenClass === 1) {
    refuseOptions(o as unknown as Record<string, unknown>, { ...CLASS0_ONLY, ...TIMED, value: '--value' }, forClass);
    return {
      class: 1,
      subclass: subclass as 0 | 1,
      control: parseHexBigint('--control', o.control),
      manufacturerCode: parseIntOption('--manufacturer-code', o.manufacturerCode),
    };
  }
  const timed = {
    subclass,
    issuedAt: parseInstant('--issued-at', o.issuedAt),
    random: parseIntOption('--random', o.random),
  };
  if (tokenClass === 0) {
    refuseOptions(o as unknown as Record<string, unknown>, { ...CLASS1_ONLY, value: '--value' }, forClass);
    const amount = requireOption('--amount', o.amount, 'for class 0 tokens');
    if (!/^\d+(\.\d+)?$/.test(amount)) throw new TokenCliError('--amount', `must be a decimal number of units, got ${JSON.stringify(amount)}`);
    return { class: 0, ...timed, amountTenths: unitsToTenths(Number(amount)) };
  }
  if (tokenClass === 2) {
    refuseOptions(o as unknown as Record<string, unknown>, { ...CLASS0_ONLY, ...CLASS1_ONLY }, forClass);
    return { class: 2, ...timed, subclass: subclass as 0, value: parseIntOption('--value', requireOption('--value', o.value, 'for class 2 tokens')) };
  }
  throw new TokenCliError('--class', `must be 0, 1 or 2, got ${tokenClass}`);
}

/** Encodes, then decodes the result, so the output shows what the token really carries (amounts round up, TIDs drop seconds). */
export function stsEncode(o: StsEncodeOptions): { token: string } & StsTokenJson {
  const token = guarded(undefined, () => encodeToken(encodeInput(o), o.key, { baseDate: parseBaseDate(o.baseDate) }));
  return { token, ...stsDecode(token, o) };
}
