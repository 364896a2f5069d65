/**
 * Password and operator code carried by write (0x14) and relay control (0x1C) requests:
 * PA P0 P1 P2 (password level, then the 3-byte password, low byte first) and C0..C3 (the
 * operator code the meter records, low byte first). Written here most significant first.
 */
import { frameError, PrepaidError } from '../errors.js';

export interface Dlt645Credentials {
  /** PA, the password level (commonly 02 or 04). */
  level: number;
  /** P2 P1 P0 as written: 6 hex digits, e.g. "123456" (sent 56 34 12). */
  password: string;
  /** C3 C2 C1 C0 as written: 8 hex digits, e.g. "00000001". */
  operator: string;
}

export const DLT645_CREDENTIALS_BYTES = 8;

export const DLT645_DEFAULT_CREDENTIALS: Readonly<Dlt645Credentials> = Object.freeze({ level: 2, password: '000000', operator: '00000000' });

function hexField(value: string, digits: number, path: string): Buffer {
  if (typeof value !== 'string' || !new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(value))
    throw new PrepaidError('E_FRAME_VALUE', `${path} must be ${digits} hex digits`, { path });
  return Buffer.from(value, 'hex').reverse();
}

export function encodeDlt645Credentials(c: Dlt645Credentials, path = 'credentials'): Buffer {
  if (!Number.isInteger(c.level) || c.level < 0 || c.level > 0xff)
    throw new PrepaidError('E_FRAME_VALUE', `${path}.level ${c.level} is not a byte`, { path: `${path}.level` });
  return Buffer.concat([Buffer.of(c.level), hexField(c.password, 6, `${path}.password`), hexField(c.operator, 8, `${path}.operator`)]);
}

export function decodeDlt645Credentials(bytes: Uint8Array, offset = 0, base = 0): Dlt645Credentials {
  if (bytes.length < offset + DLT645_CREDENTIALS_BYTES)
    throw frameError('E_FRAME_SHORT', `password and operator code need ${DLT645_CREDENTIALS_BYTES} bytes`, base + bytes.length);
  const hexRev = (from: number, n: number): string =>
    Buffer.from(bytes.subarray(offset + from, offset + from + n)).reverse().toString('hex').toUpperCase();
  return { level: bytes[offset]!, password: hexRev(1, 3), operator: hexRev(4, 4) };
}
