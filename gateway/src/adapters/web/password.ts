/**
 * Secrets of the console at rest. Passwords: scrypt (node:crypto), stored as
 *   scrypt$N$r$p$salt$hash        salt and hash in base64url without padding
 * e.g. scrypt$16384$8$1$2m0v...$Qx9c... — N, r, p are scrypt's cost, block size and parallelism.
 * API tokens are 32 random bytes, so a plain SHA-256 (`sha256$hex`) is enough and cheap per request.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { PrepaidError } from '@prepaid-edge/protocols';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** N = 2^14, r = 8, p = 1: ~16 MiB and ~50 ms on a Raspberry Pi 4 class CPU per attempt. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };
const KEY_LEN = 32;
const SALT_LEN = 16;

function derive(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LEN, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (password.length === 0) throw new PrepaidError('E_CONFIG_INVALID', 'password: must not be empty', { path: 'password' });
  const salt = randomBytes(SALT_LEN);
  const key = await derive(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export interface ParsedPasswordHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

export function parsePasswordHash(encoded: string): ParsedPasswordHash {
  const parts = encoded.split('$');
  const [scheme, n, r, p, salt, hash] = parts;
  const N = Number(n);
  const ok = parts.length === 6 && scheme === 'scrypt' && Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0 && Number(r) >= 1 && Number(p) >= 1 && salt && hash;
  if (!ok) throw new PrepaidError('E_CONFIG_INVALID', 'passwordHash: not scrypt$N$r$p$salt$hash (N a power of two)', { path: 'passwordHash' });
  return { N, r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

export async function verifyPassword(password: string, encoded: string | ParsedPasswordHash): Promise<boolean> {
  const h = typeof encoded === 'string' ? parsePasswordHash(encoded) : encoded;
  const key = await derive(password, h.salt, h);
  return key.length === h.hash.length && timingSafeEqual(key, h.hash);
}

/** Spent on unknown user names, so their answer takes as long as a wrong password. */
export const DUMMY_HASH: ParsedPasswordHash = { ...DEFAULT_SCRYPT, salt: Buffer.alloc(SALT_LEN, 1), hash: Buffer.alloc(KEY_LEN, 0) };

export function hashToken(token: string): string {
  return `sha256$${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** A fresh bearer token: `pgw_` + 32 random bytes (base64url). */
export function newApiToken(): string {
  return `pgw_${randomBytes(32).toString('base64url')}`;
}

/** Constant-time comparison of two `sha256$hex` strings. */
export function sameTokenHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
