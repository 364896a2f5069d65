import { PrepaidError } from '../../errors.js';
import { EXTENDED, STANDARD, type TokenFormat } from './token-format.js';
import { fromRestrictedDigits, toRestrictedDigits } from './restricted-digits.js';

/** Token number <-> the digits a user types. Spaces between digit groups are ignored on input. */

export interface TokenText {
  format: TokenFormat;
  restricted: boolean;
  /** The token as a number (for restricted tokens, the number its 2-bit digits spell). */
  number: number;
}

const LONGEST = EXTENDED.restrictedDigits;

function formatError(message: string, extra: Record<string, unknown> = {}): PrepaidError {
  return new PrepaidError('E_TOKEN_FORMAT', message, { path: 'token', ...extra });
}

export function renderToken(code: number, format: TokenFormat, restricted: boolean): string {
  return restricted ? toRestrictedDigits(code, format.bits) : String(code).padStart(format.digits, '0');
}

/**
 * Reads a typed token. Digit count picks the format: 9 standard, 12 extended, 15 restricted
 * standard, 20 restricted extended; a flag that is set narrows the choice to matching lengths.
 */
export function parseToken(token: unknown, restrictedFlag?: boolean, extendedFlag?: boolean): TokenText {
  if (typeof token !== 'string') throw formatError('token must be a string');
  let digits = '';
  const offsets: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const ch = token[i]!;
    if (ch === ' ') continue;
    if (ch < '0' || ch > '9') throw formatError(`token has a non-digit at index ${i}`, { offset: i });
    if (digits.length === LONGEST) throw formatError(`token is longer than ${LONGEST} digits`, { offset: i });
    digits += ch;
    offsets.push(i);
  }

  const choices: Array<{ format: TokenFormat; restricted: boolean; length: number }> = [];
  for (const restricted of restrictedFlag === undefined ? [false, true] : [restrictedFlag]) {
    for (const format of extendedFlag === undefined ? [STANDARD, EXTENDED] : [extendedFlag ? EXTENDED : STANDARD]) {
      choices.push({ format, restricted, length: restricted ? format.restrictedDigits : format.digits });
    }
  }
  const choice = choices.find((c) => c.length === digits.length);
  if (!choice) {
    const expected = choices.map((c) => c.length);
    throw formatError(`token has ${digits.length} digits, expected ${expected.join(' or ')}`, { digits: digits.length, expected });
  }

  if (!choice.restricted) return { format: choice.format, restricted: false, number: Number(digits) };
  for (let i = 0; i < digits.length; i++) {
    const ch = digits[i]!;
    if (ch < '1' || ch > '4') throw formatError(`restricted-digit token may only hold digits 1-4`, { offset: offsets[i] });
  }
  return { format: choice.format, restricted: true, number: fromRestrictedDigits(digits) };
}
