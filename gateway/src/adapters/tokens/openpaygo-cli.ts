/**
 * The `token openpaygo` actions as pure functions: raw option strings in, a JSON-ready object out,
 * or a TokenCliError (exit 1 when a well-formed token is refused as used or too old).
 */
import { decodeOpenPaygoToken, encodeOpenPaygoToken } from '@prepaid-edge/protocols';
import { checkTokenDigits, parseIntList, parseIntOption, toCliError, TokenCliError } from './cli-input.js';
import { modeOf, OPENPAYGO_MODES, type OpenPaygoMode } from './openpaygo-modes.js';

export interface OpenPaygoEncodeCliOptions {
  key: string;
  startingCode: string;
  count: string;
  value?: string;
  mode?: string;
  restrictedDigits?: boolean;
  extended?: boolean;
}

export interface OpenPaygoDecodeCliOptions {
  key: string;
  startingCode: string;
  lastCount: string;
  usedCounts?: string;
  restrictedDigits?: boolean;
  extended?: boolean;
}

export interface OpenPaygoEncodeResult {
  token: string;
  newCount: number;
  mode: OpenPaygoMode;
  type: string;
  value: number | null;
}

export interface OpenPaygoDecodeResult {
  mode: OpenPaygoMode;
  type: string;
  /** Days for add / set, null for unlock / sync. */
  value: number | null;
  count: number;
  /** The device state to keep for the next decode. */
  lastCount: number;
  usedCounts: number[];
}

function parseMode(text: string | undefined): OpenPaygoMode {
  const mode = text ?? 'add';
  if (!(mode in OPENPAYGO_MODES)) throw new TokenCliError('--mode', `must be one of ${Object.keys(OPENPAYGO_MODES).join(', ')}, got ${JSON.stringify(mode)}`);
  return mode as OpenPaygoMode;
}

export function openPaygoEncode(o: OpenPaygoEncodeCliOptions): OpenPaygoEncodeResult {
  try {
    const mode = parseMode(o.mode);
    const timed = mode === 'add' || mode === 'set';
    if (timed && o.value === undefined) throw new TokenCliError('--value', `is required for --mode ${mode} (days)`);
    if (!timed && o.value !== undefined) throw new TokenCliError('--value', `is not used by --mode ${mode}`);
    const value = timed ? parseIntOption('--value', o.value) : null;
    const { token, newCount } = encodeOpenPaygoToken({
      key: o.key,
      startingCode: parseIntOption('--starting-code', o.startingCode),
      count: parseIntOption('--count', o.count),
      type: OPENPAYGO_MODES[mode],
      ...(value === null ? {} : { value }),
      restrictedDigitSet: o.restrictedDigits === true,
      extended: o.extended === true,
    });
    return { token, newCount, mode, type: OPENPAYGO_MODES[mode], value };
  } catch (e) {
    throw toCliError(e);
  }
}

export function openPaygoDecode(token: string, o: OpenPaygoDecodeCliOptions): OpenPaygoDecodeResult {
  try {
    if (o.restrictedDigits) checkTokenDigits(token, /[1-4]/, 'a digit 1-4 (--restricted-digits)', / /);
    else checkTokenDigits(token, /\d/, 'a digit', / /);
    const r = decodeOpenPaygoToken(token, {
      key: o.key,
      startingCode: parseIntOption('--starting-code', o.startingCode),
      lastCount: parseIntOption('--last-count', o.lastCount),
      usedCounts: parseIntList('--used-counts', o.usedCounts),
      ...(o.restrictedDigits ? { restrictedDigitSet: true } : {}),
      ...(o.extended ? { extended: true } : {}),
    });
    return { mode: modeOf(r.type), type: r.type, value: r.value, count: r.count, lastCount: r.lastCount, usedCounts: r.usedCounts };
  } catch (e) {
    throw toCliError(e, token);
  }
}
