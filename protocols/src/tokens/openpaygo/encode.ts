import { PrepaidError } from '../../errors.js';
import { COUNTER_SYNC_VALUE, MAX_COUNT, PAYG_DISABLE_VALUE } from './constants.js';
import { nextCount } from './count-rules.js';
import { checkCount, checkFlag, checkInteger, checkStartingCode, parseKey } from './inputs.js';
import { baseOf, chainCode, EXTENDED, STANDARD, type TokenFormat } from './token-format.js';
import { renderToken } from './token-text.js';
import type { OpenPaygoEncodeInput, OpenPaygoEncoded, OpenPaygoTokenType } from './types.js';

const TYPES: readonly OpenPaygoTokenType[] = ['ADD_TIME', 'SET_TIME', 'DISABLE_PAYG', 'COUNTER_SYNC'];

function valueFor(type: OpenPaygoTokenType, value: unknown, format: TokenFormat): number {
  if (type === 'DISABLE_PAYG' || type === 'COUNTER_SYNC') {
    if (value !== undefined && value !== null) {
      throw new PrepaidError('E_VALUE_RANGE', `${type} tokens carry no value`, { path: 'value', value });
    }
    return type === 'DISABLE_PAYG' ? PAYG_DISABLE_VALUE : COUNTER_SYNC_VALUE;
  }
  const days = checkInteger(value, 'value', 0, format.maxActivationValue);
  // Extended tokens reach past 998/999, but on odd counts those values mean DISABLE_PAYG /
  // COUNTER_SYNC to every decoder, so no time token may use them.
  if (days === PAYG_DISABLE_VALUE || days === COUNTER_SYNC_VALUE) {
    throw new PrepaidError('E_VALUE_RANGE', `value ${days} is reserved for DISABLE_PAYG / COUNTER_SYNC`, { path: 'value', value });
  }
  return days;
}

/** Server side: the token for the next count of a device, and the count to store. */
export function encodeOpenPaygoToken(input: OpenPaygoEncodeInput): OpenPaygoEncoded {
  const key = parseKey(input.key);
  const startingCode = checkStartingCode(input.startingCode);
  const count = checkCount(input.count, 'count');
  if (!TYPES.includes(input.type)) throw new PrepaidError('E_VALUE_RANGE', `unknown token type ${String(input.type)}`, { path: 'type' });
  const restricted = checkFlag(input.restrictedDigitSet, 'restrictedDigitSet') ?? false;
  const format = checkFlag(input.extended, 'extended') ? EXTENDED : STANDARD;

  const value = valueFor(input.type, input.value, format);
  const newCount = nextCount(count, input.type);
  if (newCount > MAX_COUNT) throw new PrepaidError('E_VALUE_RANGE', `count would pass ${MAX_COUNT}`, { path: 'count', value: count });

  const base = (baseOf(startingCode, format) + value) % format.valueModulus;
  const code = chainCode(startingCode, base, newCount, key, format);
  return { token: renderToken(code, format, restricted), newCount };
}
