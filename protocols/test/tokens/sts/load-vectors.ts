// Loads fixtures/sts_vectors.json, an unchanged copy of shared/vectors/sts/sts_vectors.json (values
// copied from the NectarAPI/tokens-service STS 531-1-0 compliance tests; provenance in fixtures/README.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export interface Dkga02Vector {
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

export interface Class1Vector {
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
    tokens: Dkga02Vector[];
  };
  class1_cleartext: Class1Vector[];
}

// Compiled to protocols/dist/test/tokens/sts; the JSON stays in the source tree.
const here = fileURLToPath(new URL('.', import.meta.url));
const fixture = resolve(here, '../../../../test/tokens/sts/fixtures/sts_vectors.json');

export const vectors = JSON.parse(readFileSync(fixture, 'utf8')) as StsVectors;
