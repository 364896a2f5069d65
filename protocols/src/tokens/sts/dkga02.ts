/**
 * DKGA-02 decoder key derivation (64-bit DES vending key, IEC 62055-41):
 *   PAN block     = PAN digits 2..17 (last 5 of the 6-digit IIN + the 11-digit DRN), as 16 hex nibbles
 *   control block = key type | SGC (6) | tariff index (2) | key revision (1) | FFFFFF
 *   m = PAN block XOR control block
 *   decoder key = byte-reverse(DES_ECB(VUDK, m) XOR m XOR VUDK)
 * Node 20's OpenSSL refuses des-ecb, hence the pure-JS des.js.
 */
import desjs from 'des.js';
import { PrepaidError } from '../../errors.js';
import { toKeyBytes, type KeyInput } from './key-input.js';

export interface Dkga02Params {
  /** The vending unit DES key (VUDK), 8 bytes or 16 hex digits. */
  vendingKey: KeyInput;
  /** 18-digit meter PAN: 6-digit IIN + 11-digit DRN + Luhn check digit. */
  pan: string;
  /** 6-digit supply group code. */
  supplyGroupCode: string;
  /** 2-digit tariff index. */
  tariffIndex: string;
  /** Key revision number 1..9. */
  keyRevision: number;
  /** Key type 0..3 (0 DITK, 1 DDTK, 2 DUTK, 3 DCTK). */
  keyType: number;
}

function fail(path: string, message: string): never {
  throw new PrepaidError('E_TOKEN_KEY', message, { path });
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

export function panBlockHex(pan: string): string {
  if (typeof pan !== 'string' || !/^\d{18}$/.test(pan)) fail('pan', 'PAN must be 18 decimal digits');
  if (!luhnValid(pan)) fail('pan', 'PAN check digit (Luhn) does not match');
  return pan.slice(1, 17);
}

export function controlBlockHex(p: Pick<Dkga02Params, 'supplyGroupCode' | 'tariffIndex' | 'keyRevision' | 'keyType'>): string {
  if (!Number.isInteger(p.keyType) || p.keyType < 0 || p.keyType > 3) fail('keyType', 'key type must be 0..3');
  if (typeof p.supplyGroupCode !== 'string' || !/^\d{6}$/.test(p.supplyGroupCode))
    fail('supplyGroupCode', 'supply group code must be 6 digits');
  if (typeof p.tariffIndex !== 'string' || !/^\d{2}$/.test(p.tariffIndex)) fail('tariffIndex', 'tariff index must be 2 digits');
  if (!Number.isInteger(p.keyRevision) || p.keyRevision < 1 || p.keyRevision > 9)
    fail('keyRevision', 'key revision must be 1..9');
  return `${p.keyType}${p.supplyGroupCode}${p.tariffIndex}${p.keyRevision}ffffff`;
}

export function deriveDecoderKeyDkga02(params: Dkga02Params): Buffer {
  const vudk = toKeyBytes(params.vendingKey, 'vendingKey');
  const pan = Buffer.from(panBlockHex(params.pan), 'hex');
  const control = Buffer.from(controlBlockHex(params), 'hex');
  const m = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) m[i] = pan[i]! ^ control[i]!;
  const cipher = desjs.DES.create({ type: 'encrypt', key: vudk, padding: false }).update(m);
  const key = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) key[7 - i] = cipher[i]! ^ m[i]! ^ vudk[i]!;
  return key;
}
