/**
 * The published token vectors, for tests and tools (`@prepaid-edge/protocols/vectors`; not in the
 * main entry, which never reads files): shared/vectors beside the repository when it is there (CI
 * keeps a copy of shared/ next to the clone), else protocols' unchanged copies in
 * protocols/test/tokens/{sts,openpaygo}/fixtures (provenance in their README.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** protocols/dist/src/tokens -> the repository root. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
export const SHARED_VECTORS = resolve(REPO_ROOT, '..', 'shared', 'vectors');
export const PROTOCOLS_FIXTURES = resolve(REPO_ROOT, 'protocols', 'test', 'tokens');

export const STS_FILES = { shared: resolve(SHARED_VECTORS, 'sts', 'sts_vectors.json'), protocols: resolve(PROTOCOLS_FIXTURES, 'sts', 'fixtures', 'sts_vectors.json') };
export const OPENPAYGO_FILES = {
  shared: resolve(SHARED_VECTORS, 'openpaygo', 'test_tokens.jsonl'),
  protocols: resolve(PROTOCOLS_FIXTURES, 'openpaygo', 'fixtures', 'test_tokens.jsonl'),
};

const pick = (files: { shared: string; protocols: string }) => (existsSync(files.shared) ? files.shared : files.protocols);

/** A DKGA-02 / EA07 credit token of the vectors' meter. */
export interface StsCreditVector {
  source_test: string;
  meter_pan: string;
  decoder_key_hex: string;
  token_class: number;
  token_subclass: number;
  random_no: number;
  issued_at_utc: string;
  tid_minutes_hex: string;
  amount_units: number;
  amount_raw16_hex: string;
  crc16_hex: string;
  token: string;
}

/** A class 1 (cleartext test) token. */
export interface StsTestVector {
  source_test: string;
  token_class: number;
  token_subclass: number;
  plain_data_block_hex: string;
  crc16_hex: string;
  token: string;
}

export interface StsVectors {
  dkga02_ea07: {
    common: { vending_key_hex: string; key_type: number; supply_group_code: string; tariff_index: string; key_revision_number: number };
    derived_decoder_keys: Record<string, string>;
    pan_block_hex: Record<string, string>;
    control_block_hex: string;
    tokens: StsCreditVector[];
  };
  class1_cleartext: StsTestVector[];
}

export interface OpenPaygoVector {
  serial_number: string;
  starting_code: number;
  key: string;
  count: number;
  token_type: 'ADD_TIME' | 'SET_TIME' | 'DISABLE_PAYG' | 'COUNTER_SYNC';
  value_raw: number | null;
  restricted_digit_set: boolean;
  extended_token: boolean;
  new_count: number;
  token: string;
}

export function loadStsVectors(file = pick(STS_FILES)): StsVectors {
  return JSON.parse(readFileSync(file, 'utf8')) as StsVectors;
}

export function loadOpenPaygoVectors(file = pick(OPENPAYGO_FILES)): OpenPaygoVector[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as OpenPaygoVector);
}
