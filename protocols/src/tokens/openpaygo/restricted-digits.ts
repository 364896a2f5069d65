/**
 * Restricted digit set: keypads with only keys 1-4. Each pair of bits of the token number,
 * most significant first, becomes one digit 1..4.
 */

export function toRestrictedDigits(n: number, bits: number): string {
  let out = '';
  for (let shift = bits - 2; shift >= 0; shift -= 2) out += String((Math.floor(n / 2 ** shift) % 4) + 1);
  return out;
}

/** Caller guarantees every character is 1..4 (at most 26 digits keeps the result exact). */
export function fromRestrictedDigits(digits: string): number {
  let n = 0;
  for (const ch of digits) n = n * 4 + (ch.charCodeAt(0) - 0x31);
  return n;
}
