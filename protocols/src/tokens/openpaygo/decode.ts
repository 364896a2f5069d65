import { PrepaidError } from '../../errors.js';
import {
  COUNTER_SYNC_VALUE,
  MAX_COUNT,
  MAX_TOKEN_JUMP,
  MAX_TOKEN_JUMP_COUNTER_SYNC,
  PAYG_DISABLE_VALUE,
} from './constants.js';
import { judgeCount, stateAfter, typeAt, type CountVerdict } from './count-rules.js';
import { checkCount, checkFlag, checkStartingCode, checkUsedCounts, parseKey } from './inputs.js';
import { baseOf, nextCode, withBase } from './token-format.js';
import { parseToken } from './token-text.js';
import type { OpenPaygoDecodeOptions, OpenPaygoDecoded, OpenPaygoRejectReason } from './types.js';

function rejected(reason: OpenPaygoRejectReason, count?: number): PrepaidError {
  const why = { invalid: 'matches no count in the search window', 'already-used': 'was already used', 'too-old': 'is older than the device accepts' };
  return new PrepaidError('E_TOKEN_CRC', `token ${why[reason]}`, { path: 'token', reason, ...(count === undefined ? {} : { count }) });
}

/**
 * Device side: walk the key's hash chain from count 0 to lastCount + 64 (+100 for COUNTER_SYNC)
 * and accept the first count whose code equals the token and that the count rules allow.
 * Returns the token and the new device state; throws E_TOKEN_FORMAT or E_TOKEN_CRC.
 */
export function decodeOpenPaygoToken(token: string, options: OpenPaygoDecodeOptions): OpenPaygoDecoded {
  if (typeof options !== 'object' || options === null) {
    throw new PrepaidError('E_VALUE_RANGE', 'decode options are required', { path: 'options' });
  }
  const text = parseToken(token, checkFlag(options.restrictedDigitSet, 'restrictedDigitSet'), checkFlag(options.extended, 'extended'));
  const key = parseKey(options.key);
  const startingCode = checkStartingCode(options.startingCode);
  const lastCount = checkCount(options.lastCount, 'lastCount');
  const usedCounts = checkUsedCounts(options.usedCounts);
  const { format } = text;

  const base = baseOf(text.number, format);
  const value = (base - baseOf(startingCode, format) + format.valueModulus) % format.valueModulus;
  const special = value === PAYG_DISABLE_VALUE || value === COUNTER_SYNC_VALUE;
  // No encoder emits a time value above the format's maximum, so such a token cannot be genuine.
  if (!special && value > format.maxActivationValue) throw rejected('invalid');

  const jump = value === COUNTER_SYNC_VALUE ? MAX_TOKEN_JUMP_COUNTER_SYNC : MAX_TOKEN_JUMP;
  const lastTry = Math.min(lastCount + jump, MAX_COUNT);
  let refusal: { verdict: Exclude<CountVerdict, 'accept'>; count: number } | undefined;
  let code = withBase(startingCode, base, format);
  for (let count = 0; count <= lastTry; count++) {
    // Special values only exist on odd counts; an even-count match would be an ADD_TIME of 998/999 days.
    if (withBase(code, base, format) === text.number && !(special && count % 2 === 0)) {
      const type = typeAt(count, value);
      const verdict = judgeCount(count, type, lastCount, usedCounts);
      if (verdict === 'accept') {
        return { type, value: special ? null : value, count, ...stateAfter(count, type, lastCount, usedCounts) };
      }
      refusal ??= { verdict, count };
    }
    code = nextCode(code, key, format);
  }
  throw refusal ? rejected(refusal.verdict, refusal.count) : rejected('invalid');
}
