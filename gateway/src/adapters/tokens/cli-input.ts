/**
 * Option parsing for the token CLI. Every failure becomes a TokenCliError whose one-line text names
 * the option (`--pan: ...`) or the digit (`token digit 7: ...`). Range and format rules live in the
 * protocols codecs: their PrepaidErrors are translated here by `context.path`, not re-implemented.
 */
import { isPrepaidError, type ErrorCode } from '@prepaid-edge/protocols';

export class TokenCliError extends Error {
  constructor(
    /** The option (`--pan`), `token`, or `token digit N`. */
    readonly where: string,
    message: string,
    /** 2 = bad input (wrong format, wrong key, CRC); 1 = a well-formed token the count rules refuse. */
    readonly exitCode: 1 | 2 = 2,
    readonly code?: ErrorCode,
  ) {
    super(message);
    this.name = 'TokenCliError';
  }

  /** The line printed to stderr (after the program name). */
  get line(): string {
    return `${this.where}: ${this.message}${this.code ? ` (${this.code})` : ''}`;
  }
}

/** Codec field path (as in PrepaidError context.path) -> the CLI option that carries it. */
const OPTION_FOR_PATH: Record<string, string> = {
  key: '--key',
  vendingKey: '--vending-key',
  pan: '--pan',
  supplyGroupCode: '--sgc',
  tariffIndex: '--ti',
  keyRevision: '--krn',
  keyType: '--kt',
  issuedAt: '--issued-at',
  tid: '--issued-at',
  random: '--random',
  amount: '--amount',
  amountTenths: '--amount',
  amountRaw: '--amount',
  class: '--class',
  subclass: '--subclass',
  baseDate: '--base-date',
  value: '--value',
  control: '--control',
  manufacturerCode: '--manufacturer-code',
  body: '--value',
  startingCode: '--starting-code',
  count: '--count',
  lastCount: '--last-count',
  usedCounts: '--used-counts',
  restrictedDigitSet: '--restricted-digits',
  extended: '--extended',
  token: 'token',
};

/** 1-based position of the character at `offset`, counting only what the user typed as digits. */
function digitPosition(token: string, offset: number): number {
  return token.slice(0, offset).replace(/[\s-]/g, '').length + 1;
}

/** Translates a codec error into the CLI's one-line form; anything else is a bug and is rethrown. */
export function toCliError(e: unknown, token?: string): TokenCliError {
  if (e instanceof TokenCliError) return e;
  if (!isPrepaidError(e)) throw e;
  const path = typeof e.context.path === 'string' ? e.context.path : '';
  if (path === 'token') {
    const offset = e.context.offset;
    const where = typeof offset === 'number' && token !== undefined ? `token digit ${digitPosition(token, offset)}` : 'token';
    // OpenPAYGO: a genuine token the count rules refuse. Same codes as the acceptors use.
    const reason = e.context.reason;
    if (reason === 'already-used' || reason === 'too-old') {
      const count = typeof e.context.count === 'number' ? ` (count ${e.context.count})` : '';
      return new TokenCliError(where, `refused, ${e.message}${count}`, 1, reason === 'already-used' ? 'E_TOKEN_USED' : 'E_TOKEN_OLD');
    }
    return new TokenCliError(where, e.message, 2, e.code);
  }
  const option = OPTION_FOR_PATH[path.replace(/\[\d+\]$/, '')] ?? (path || 'input');
  return new TokenCliError(option, e.message, 2, e.code);
}

/** `token digit N` for the first character that is neither a separator nor in `allowed`. */
export function checkTokenDigits(token: string, allowed: RegExp, what: string, separators = /[\s-]/): void {
  let position = 0;
  for (const ch of token) {
    if (separators.test(ch)) continue;
    position++;
    if (!allowed.test(ch)) throw new TokenCliError(`token digit ${position}`, `${JSON.stringify(ch)} is not ${what}`);
  }
}

export function parseIntOption(option: string, text: string | undefined): number {
  if (text === undefined) throw new TokenCliError(option, 'is required');
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new TokenCliError(option, `must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

export function parseIntList(option: string, text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((item, i) => {
    const t = item.trim();
    if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t)))
      throw new TokenCliError(option, `item ${i + 1} must be a whole number, got ${JSON.stringify(t)}`);
    return Number(t);
  });
}

/** An instant with an explicit zone, so a technician's local clock never shifts a TID. */
export function parseInstant(option: string, text: string | undefined): Date {
  if (text === undefined) throw new TokenCliError(option, 'is required');
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) || Number.isNaN(ms))
    throw new TokenCliError(option, `must be an ISO 8601 instant with a zone, e.g. 2024-05-01T12:00:00Z, got ${JSON.stringify(text)}`);
  return new Date(ms);
}

export function parseHexBigint(option: string, text: string | undefined): bigint {
  if (text === undefined) throw new TokenCliError(option, 'is required');
  const digits = text.replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]+$/.test(digits)) throw new TokenCliError(option, `must be hexadecimal, got ${JSON.stringify(text)}`);
  return BigInt(`0x${digits}`);
}

export function requireOption(option: string, text: string | undefined, why: string): string {
  if (text === undefined) throw new TokenCliError(option, `is required ${why}`);
  return text;
}

/** Refuses options that mean nothing for this kind of token, rather than silently ignoring them. */
export function refuseOptions(given: Record<string, unknown>, names: Record<string, string>, why: string): void {
  for (const [field, option] of Object.entries(names))
    if (given[field] !== undefined) throw new TokenCliError(option, `is not used ${why}`);
}
