/**
 * The utility's side of signed commands in scenarios: one Ed25519 key pair (its public half goes in
 * the gateway's `credit.keys`), and helpers that sign each command type at the rig's present instant.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { signCommand } from '../../../src/core/commands/index.js';
import type { Rig } from './rig.js';

const keys = generateKeyPairSync('ed25519');
export const KEY_ID = 'utility-1';
export const PUBLIC_KEY = createPublicKey(keys.privateKey).export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
export const KEYS = [{ keyId: KEY_ID, publicKey: PUBLIC_KEY }];

let seq = 0;

/** Sign `fields` (id, issuedAt and a one-hour expiresAt added unless given). */
export function signed(rig: Rig, fields: Record<string, unknown>): Record<string, unknown> {
  const now = rig.clock.now();
  return signCommand({ id: `cmd-${++seq}-${now}`, issuedAt: now, expiresAt: now + 3_600_000, ...fields } as Parameters<typeof signCommand>[0], keys.privateKey, KEY_ID);
}

export function topUpCmd(rig: Rig, meter: string, amount: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return signed(rig, { type: 'topup', meter, amount, currency: 'EUR', ...extra });
}
