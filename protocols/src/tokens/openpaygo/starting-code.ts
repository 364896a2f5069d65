import { parseKey } from './inputs.js';
import { sipHash24Words } from './siphash24.js';
import { STANDARD } from './token-format.js';
import type { OpenPaygoKey } from './types.js';

/** Starting code the reference libraries derive when none is provisioned: the key hashed under itself. */
export function startingCodeFromKey(key: OpenPaygoKey): number {
  const bytes = parseKey(key);
  return STANDARD.reduce(sipHash24Words(bytes, bytes));
}
