/**
 * Build a frame by hand from hex text, appending the checksum computed here (independently of
 * the codec: sum of every byte from the first 68, mod 256) and the end byte 16.
 */
export function handFrame(hex: string): Buffer {
  const body = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const start = body.indexOf(0x68);
  let sum = 0;
  for (let i = start; i < body.length; i++) sum += body[i]!;
  return Buffer.concat([body, Buffer.of(sum % 256, 0x16)]);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');
}

export { returnsOrPrepaidError, throwsCode } from '../prepaid-error.js';
