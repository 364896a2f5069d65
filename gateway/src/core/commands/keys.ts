/**
 * Ed25519 keys and signatures of commands (node:crypto only).
 *
 * A public key in the configuration is either PEM (SPKI, `-----BEGIN PUBLIC KEY-----`) or the
 * standard base64 of the raw 32-byte key. A signature (`sig`) is the 64-byte Ed25519 signature of
 * the UTF-8 bytes of the RFC 8785 canonical JSON of every envelope field except `sig` and `cosig`,
 * written as base64url without padding; plain base64 (with or without `=`) is accepted too. A
 * co-signature (`cosig: {keyId, sig}`, corrections above the policy's co-sign amount) is a second
 * key's signature of the same bytes (cosign.ts).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { PrepaidError } from '@prepaid-edge/protocols';
import { canonicalJson } from './canonical-json.js';

/** One entry of the configured command keys. */
export interface CommandKeyEntry {
  keyId: string;
  /** PEM (SPKI) or base64 of the raw 32-byte Ed25519 public key. */
  publicKey: string;
}

/** DER header of an Ed25519 SubjectPublicKeyInfo (RFC 8410 section 4); the 32 key bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** The configured keys by keyId; throws E_CONFIG_INVALID naming `{path}[i].keyId` / `.publicKey`. */
export function loadPublicKeys(entries: readonly CommandKeyEntry[], path = 'commands.keys'): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  entries.forEach((e, i) => {
    const at = `${path}[${i}]`;
    if (typeof e.keyId !== 'string' || e.keyId.length === 0) throw configError(`${at}.keyId`, 'must be a non-empty string');
    if (keys.has(e.keyId)) throw configError(`${at}.keyId`, `duplicate keyId ${JSON.stringify(e.keyId)}`);
    keys.set(e.keyId, parsePublicKey(e.publicKey, `${at}.publicKey`));
  });
  return keys;
}

/** An Ed25519 public key from PEM (SPKI) or base64 of the raw 32 bytes; throws E_CONFIG_INVALID naming `path`. */
export function parsePublicKey(text: string, path = 'publicKey'): KeyObject {
  if (typeof text !== 'string') throw configError(path, 'must be a string');
  const s = text.trim();
  let key: KeyObject;
  if (s.startsWith('-----BEGIN')) {
    try {
      key = createPublicKey({ key: s, format: 'pem' });
    } catch (e) {
      throw configError(path, `not a PEM public key (${(e as Error).message})`);
    }
  } else {
    const raw = BASE64.test(s) ? Buffer.from(s, 'base64') : null;
    if (raw?.length !== 32) throw configError(path, 'must be PEM (SPKI) or the base64 of the raw 32-byte Ed25519 key');
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw configError(path, `is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return key;
}

/** Base64 of the raw 32-byte public key (the short form for the configuration). */
export function rawPublicKey(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(ED25519_SPKI_PREFIX.length).toString('base64');
}

/** The 64 signature bytes of a base64url or base64 `sig`, or null if it is not that. */
export function decodeSignature(sig: string): Buffer | null {
  if (!BASE64.test(sig)) return null;
  const bytes = Buffer.from(sig, 'base64');
  return bytes.length === 64 ? bytes : null;
}

/** The exact bytes a signature (and a co-signature) covers: canonical JSON of every field but `sig` and `cosig`, UTF-8. */
export function signedBytes(fields: Record<string, unknown>): Buffer {
  const { sig: _sig, cosig: _cosig, ...rest } = fields;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/** Whether `sig` is `key`'s signature of `fields` (any `sig` field inside `fields` is ignored). */
export function verifySignature(fields: Record<string, unknown>, sig: string, key: KeyObject): boolean {
  const bytes = decodeSignature(sig);
  if (!bytes) return false;
  try {
    return verify(null, signedBytes(fields), key, bytes);
  } catch {
    return false; // a key that is not Ed25519, or fields that cannot be canonicalised: not a valid signature
  }
}

/**
 * `fields` with `keyId` set and `sig` added: for tools and tests. `privateKey` is a PKCS#8 PEM or a
 * KeyObject. Throws E_COMMAND_MALFORMED if a field cannot be canonicalised or keyId conflicts.
 */
export function signCommand<T extends Record<string, unknown>>(fields: T, privateKey: string | KeyObject, keyId: string): T & { keyId: string; sig: string } {
  if (fields.keyId !== undefined && fields.keyId !== keyId) {
    throw new PrepaidError('E_COMMAND_MALFORMED', `keyId: fields say ${JSON.stringify(fields.keyId)}, signing with ${JSON.stringify(keyId)}`, { path: 'keyId' });
  }
  const { sig: _old, ...rest } = fields;
  const unsigned = { ...rest, keyId };
  const sig = signWith(unsigned, privateKey);
  return { ...unsigned, sig } as unknown as T & { keyId: string; sig: string };
}

/** base64url Ed25519 signature of signedBytes(fields) (PKCS#8 PEM or KeyObject); throws E_COMMAND_SIGNATURE for a key that is not Ed25519. */
export function signWith(fields: Record<string, unknown>, privateKey: string | KeyObject): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== 'ed25519') throw new PrepaidError('E_COMMAND_SIGNATURE', `signing key is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
  return sign(null, signedBytes(fields), key).toString('base64url');
}

/** A fresh Ed25519 key pair: private PKCS#8 PEM, public SPKI PEM and the raw public key in base64. */
export function generateCommandKeyPair(): { privateKeyPem: string; publicKeyPem: string; publicKeyRaw: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeyRaw: rawPublicKey(publicKey),
  };
}

function configError(path: string, why: string): PrepaidError {
  return new PrepaidError('E_CONFIG_INVALID', `${path}: ${why}`, { path });
}
