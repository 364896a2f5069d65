import { readFileSync } from 'node:fs';
import type { OpenPaygoTokenType } from '../../../src/tokens/openpaygo/index.js';

/** One row of the OpenPAYGO-python test_tokens.jsonl (see fixtures/README.md). */
export interface OpenPaygoVector {
  serial_number: string;
  starting_code: number;
  key: string;
  count: number;
  token_type: OpenPaygoTokenType;
  value_raw: number | null;
  restricted_digit_set: boolean;
  extended_token: boolean;
  new_count: number;
  token: string;
}

// Compiled to dist/test/tokens/openpaygo/; the fixture stays in the source tree.
const file = new URL('../../../../test/tokens/openpaygo/fixtures/test_tokens.jsonl', import.meta.url);

export const vectors: OpenPaygoVector[] = readFileSync(file, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as OpenPaygoVector);

export function describe(v: OpenPaygoVector): string {
  const form = `${v.extended_token ? 'extended' : 'standard'}${v.restricted_digit_set ? '/restricted' : ''}`;
  return `${v.serial_number} ${v.token_type}${v.value_raw === null ? '' : ` ${v.value_raw}`} ${form}`;
}
