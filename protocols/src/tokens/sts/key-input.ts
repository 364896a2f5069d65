/** Normalises an 8-byte key given as bytes or 16 hex digits. */
import { PrepaidError } from '../../errors.js';

export type KeyInput = Uint8Array | string;

export function toKeyBytes(key: KeyInput, path = 'key'): Buffer {
  if (typeof key === 'string') {
    if (!/^[0-9a-fA-F]{16}$/.test(key))
      throw new PrepaidError('E_TOKEN_KEY', `${path} must be 16 hex digits`, { path });
    return Buffer.from(key, 'hex');
  }
  if (key instanceof Uint8Array && key.length === 8) return Buffer.from(key);
  throw new PrepaidError('E_TOKEN_KEY', `${path} must be 8 bytes`, { path });
}
