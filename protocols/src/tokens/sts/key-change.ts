/**
 * Decoder key change travels in two class 2 tokens: NKHO (subclass 3) and NKLO (subclass 4), the
 * high and low 32 bits of the new key read as a little-endian 64-bit number (as the STA reads it).
 * Not checked against published vectors; see docs-sts.md.
 */
import { toKeyBytes, type KeyInput } from './key-input.js';
import type { KeyChangeFirstToken, KeyChangeSecondToken } from './token-types.js';

export function combineKeyChange(first: KeyChangeFirstToken, second: KeyChangeSecondToken): Buffer {
  const key = Buffer.alloc(8);
  key.writeUInt32LE(second.newKeyLow >>> 0, 0);
  key.writeUInt32LE(first.newKeyHigh >>> 0, 4);
  return key;
}

export function splitNewKey(newKey: KeyInput): { newKeyHigh: number; newKeyLow: number } {
  const key = toKeyBytes(newKey, 'newKey');
  return { newKeyHigh: key.readUInt32LE(4), newKeyLow: key.readUInt32LE(0) };
}
