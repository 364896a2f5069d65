/** Keys, a context and a signed command for the command tests. */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { loadPublicKeys, signCommand } from '../../src/core/commands/keys.js';
import type { CommandAccount, CommandContext } from '../../src/core/commands/envelope.js';

/** An Ed25519 private key from a 32-byte seed (PKCS#8 DER header of RFC 8410 + the seed). */
export function privateKeyFromSeed(seedHex: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(`302e020100300506032b657004220420${seedHex}`, 'hex'), format: 'der', type: 'pkcs8' });
}

/** RFC 8032 section 7.1, TEST 1: secret key and public key. */
export const RFC8032_TEST1 = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  /** Signature of the empty message. */
  sigEmpty:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

export const utilityKey = privateKeyFromSeed('11'.repeat(32));
export const otherKey = privateKeyFromSeed('22'.repeat(32));

export const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

export const ACCOUNTS: Record<string, CommandAccount> = {
  m1: { creditUnit: 'currency', currency: 'CNY' },
  m2: { creditUnit: 'energy' },
};

export function ctx(over: Partial<CommandContext> = {}): CommandContext {
  return {
    keys: loadPublicKeys([
      { keyId: 'utility-1', publicKey: publicPem(utilityKey) },
      { keyId: 'utility-2', publicKey: publicPem(otherKey) },
    ]),
    now: NOW,
    maxSkewMs: 300_000,
    meters: (id) => ACCOUNTS[id],
    limits: { maxTopUp: 1_000_000 },
    ...over,
  };
}

export function publicPem(k: KeyObject): string {
  return createPublicKey(k).export({ format: 'pem', type: 'spki' }).toString();
}

/** An unsigned top-up valid at NOW. */
export function topupFields(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'c0ffee00-0000-4000-8000-000000000001', type: 'topup', meter: 'm1', amount: 5000, currency: 'CNY', issuedAt: NOW - 1000, expiresAt: NOW + 3_600_000, ...over };
}

export function signed(fields: Record<string, unknown>, key: KeyObject = utilityKey, keyId = 'utility-1'): string {
  return JSON.stringify(signCommand(fields, key, keyId));
}
