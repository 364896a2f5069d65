/**
 * Meter addresses: 12 decimal digits written most significant first ("000000000001"),
 * sent as 6 BCD bytes least significant byte first. A byte of 0xAA ("AA") is a wildcard:
 * all AA reads the address of the only meter on a bus, and high bytes of AA abbreviate an
 * address (the meter matches on the low bytes). 999999999999 is the broadcast address.
 */
import { frameError, PrepaidError } from '../errors.js';
import { fromBcdByte } from './bcd.js';

export const DLT645_WILDCARD_ADDRESS = 'AAAAAAAAAAAA';
export const DLT645_BROADCAST_ADDRESS = '999999999999';
export const DLT645_ADDRESS_BYTES = 6;

const ADDRESS_RE = /^(?:[0-9]{2}|[Aa]{2}){6}$/;

/**
 * Canonical address string: 12 characters, upper case. Shorter digit strings and integers are
 * padded with leading zeros (DL/T 645 pads short addresses with 0 in the high digits).
 */
export function normalizeDlt645Address(input: string | number): string {
  let s = typeof input === 'number' ? (Number.isSafeInteger(input) && input >= 0 ? String(input) : '') : input.trim();
  if (/^[0-9]{1,11}$/.test(s)) s = s.padStart(12, '0');
  if (!ADDRESS_RE.test(s))
    throw new PrepaidError('E_FRAME_VALUE', `meter address "${String(input)}" is not 12 digits (pairs of AA allowed as wildcards)`, { path: 'address' });
  return s.toUpperCase();
}

/** Address string to the 6 bytes on the wire (least significant byte first). */
export function dlt645AddressToBytes(address: string | number): Buffer {
  const s = normalizeDlt645Address(address);
  const out = Buffer.alloc(DLT645_ADDRESS_BYTES);
  for (let i = 0; i < DLT645_ADDRESS_BYTES; i++) {
    const pair = s.slice(10 - 2 * i, 12 - 2 * i);
    out[i] = pair === 'AA' ? 0xaa : Number(pair[0]) * 16 + Number(pair[1]);
  }
  return out;
}

/** The 6 wire bytes at `offset` to an address string; a byte neither BCD nor 0xAA throws E_FRAME_BCD. */
export function dlt645AddressFromBytes(bytes: Uint8Array, offset = 0, base = 0): string {
  if (bytes.length < offset + DLT645_ADDRESS_BYTES)
    throw frameError('E_FRAME_SHORT', `address needs ${DLT645_ADDRESS_BYTES} bytes`, base + bytes.length);
  let s = '';
  for (let i = DLT645_ADDRESS_BYTES - 1; i >= 0; i--) {
    const b = bytes[offset + i]!;
    s += b === 0xaa ? 'AA' : String(fromBcdByte(b, base + offset + i)).padStart(2, '0');
  }
  return s;
}

export function isDlt645Broadcast(address: string): boolean {
  return address === DLT645_BROADCAST_ADDRESS;
}

export function isDlt645Wildcard(address: string): boolean {
  return address.toUpperCase().includes('AA');
}

/**
 * Does a frame sent to `target` concern the meter at `own`? True for its own address, the
 * broadcast address, and wildcard addresses whose non-AA byte pairs equal the meter's.
 */
export function dlt645AddressMatches(target: string, own: string): boolean {
  const t = normalizeDlt645Address(target);
  const o = normalizeDlt645Address(own);
  if (t === o || t === DLT645_BROADCAST_ADDRESS) return true;
  for (let i = 0; i < 12; i += 2) {
    const pair = t.slice(i, i + 2);
    if (pair !== 'AA' && pair !== o.slice(i, i + 2)) return false;
  }
  return true;
}
