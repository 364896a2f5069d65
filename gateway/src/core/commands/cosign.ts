/**
 * Co-signatures: above the policy's `corrections.cosignAbove` a correction carries
 * `cosig: {keyId, sig}`, a second key's Ed25519 signature of the same canonical text as `sig`
 * (keys.ts signedBytes: every field but `sig` and `cosig`). The second key must be another key of
 * credit.keys: a different keyId and a different public key. Pure.
 */
import type { KeyObject } from 'node:crypto';
import { rawPublicKey, signWith, verifySignature } from './keys.js';
import type { CoSignature } from './account-shape.js';

export interface CosignProblem {
  reason: 'E_COMMAND_COSIGN';
  message: string;
}

/**
 * Checks a co-signature that is present (null when it verifies, or when there is none: whether one
 * is required depends on the amount and the policy, correction-limits.ts).
 */
export function cosignProblem(o: Record<string, unknown>, primaryKeyId: string, keys: ReadonlyMap<string, KeyObject>): CosignProblem | null {
  const c = o.cosig as CoSignature | undefined;
  if (c === undefined) return null;
  if (c.keyId === primaryKeyId) return problem(`cosig.keyId: co-signed by ${JSON.stringify(c.keyId)}, the key that signed: a second, different key must co-sign`);
  const key = keys.get(c.keyId);
  const primary = keys.get(primaryKeyId);
  if (!key) return problem(`cosig.keyId: no key ${JSON.stringify(c.keyId)} in this gateway's configuration`);
  if (primary && rawPublicKey(primary) === rawPublicKey(key)) return problem(`cosig.keyId: ${JSON.stringify(c.keyId)} is the same public key as ${JSON.stringify(primaryKeyId)}: a second, different key must co-sign`);
  if (!verifySignature(o, c.sig, key)) return problem(`cosig.sig: does not verify against key ${JSON.stringify(c.keyId)}`);
  return null;
}

/** `envelope` (already signed or not) with `cosig` by `keyId`'s private key over the same canonical text. */
export function cosignCommand<T extends Record<string, unknown>>(envelope: T, privateKey: string | KeyObject, keyId: string): T & { cosig: CoSignature } {
  const { cosig: _old, ...rest } = envelope;
  return { ...rest, cosig: { keyId, sig: signWith(rest, privateKey) } } as unknown as T & { cosig: CoSignature };
}

function problem(message: string): CosignProblem {
  return { reason: 'E_COMMAND_COSIGN', message };
}
