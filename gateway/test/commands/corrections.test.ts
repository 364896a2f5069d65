/**
 * Pure table tests of the correction and lifecycle commands: their shapes, the co-signature
 * (missing, same key, another key id for the same key, unknown key, wrong signature), the policy's
 * limits in their documented order, and `command sign --cosign-key` / `command cosign`.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyCommand } from '../../src/core/commands/envelope.js';
import { checkShape } from '../../src/core/commands/shape.js';
import { cosignCommand, cosignProblem } from '../../src/core/commands/cosign.js';
import { correctionProblem, type CorrectionFacts } from '../../src/core/commands/correction-limits.js';
import { loadPublicKeys, signCommand, signedBytes } from '../../src/core/commands/keys.js';
import { buildSignedCommand, cosignCommandText, keygen } from '../../src/app/cli/sign-cli.js';
import { tempDir } from '../store/temp-dir.js';
import { CLI } from '../cli/run-cli.js';
import { ctx, NOW, otherKey, publicPem, utilityKey } from './fixtures.js';

const base = { id: 'c-1', issuedAt: NOW - 1000, expiresAt: NOW + 3_600_000, keyId: 'utility-1', sig: 'A'.repeat(86) };

const SHAPES: Array<[string, Record<string, unknown>, RegExp | null]> = [
  ['adjustment credit', { type: 'adjustment', meter: 'm1', amount: 500, direction: 'credit', reason: 'billing-error' }, null],
  ['adjustment debit', { type: 'adjustment', meter: 'm1', amount: 500, direction: 'debit', reason: 'fraud-recovery' }, null],
  ['adjustment, no reason', { type: 'adjustment', meter: 'm1', amount: 500, direction: 'credit' }, /^reason: missing/],
  ['adjustment, unknown reason', { type: 'adjustment', meter: 'm1', amount: 500, direction: 'credit', reason: 'because' }, /^reason: must be one of billing-error/],
  ['adjustment, negative amount', { type: 'adjustment', meter: 'm1', amount: -5, direction: 'credit', reason: 'other' }, /^amount: must be a positive integer/],
  ['adjustment, bad direction', { type: 'adjustment', meter: 'm1', amount: 5, direction: 'up', reason: 'other' }, /^direction:/],
  ['refund', { type: 'refund', meter: 'm1', amount: 500, reference: 'R-1' }, null],
  ['refund, fractional', { type: 'refund', meter: 'm1', amount: 5.5 }, /^amount:/],
  ['reverse', { type: 'reverse', meter: 'm1', entry: 42, reason: 'duplicate-payment' }, null],
  ['reverse, entry 0', { type: 'reverse', meter: 'm1', entry: 0, reason: 'other' }, /^entry:/],
  ['account-open', { type: 'account-open', meter: 'm1', customer: 'C-9', customerClass: 'residential', openingBalance: 0 }, null],
  ['account-open, negative opening balance', { type: 'account-open', meter: 'm1', customer: 'C-9', customerClass: 'residential', openingBalance: -1 }, /^openingBalance: must be an integer >= 0/],
  ['account-close', { type: 'account-close', meter: 'm1' }, null],
  ['account-close, final reading', { type: 'account-close', meter: 'm1', finalReading: 123456 }, null],
  ['account-close, cosig not allowed', { type: 'account-close', meter: 'm1', cosig: { keyId: 'x', sig: 'A'.repeat(86) } }, /^cosig: unknown field for type account-close/],
  ['meter-swap', { type: 'meter-swap', meter: 'm1', oldFinalReading: 9000, newSerial: 'SN-2', newStartReading: 12 }, null],
  ['meter-swap, no serial', { type: 'meter-swap', meter: 'm1', oldFinalReading: 9000, newStartReading: 12 }, /^newSerial: missing/],
  ['cosig with an extra field', { type: 'refund', meter: 'm1', amount: 1, cosig: { keyId: 'b', sig: 'A'.repeat(86), by: 'x' } }, /^cosig\.by: unknown field/],
  ['cosig with a short sig', { type: 'refund', meter: 'm1', amount: 1, cosig: { keyId: 'b', sig: 'AAAA' } }, /^cosig\.sig:/],
  ['topup with a cosig', { type: 'topup', meter: 'm1', amount: 1, currency: 'CNY', cosig: { keyId: 'b', sig: 'A'.repeat(86) } }, /^cosig: unknown field for type topup/],
];

for (const [name, fields, want] of SHAPES) {
  test(`shape: ${name}`, (t) => {
    const o = { ...base, ...fields };
    if (want === null) t.like(checkShape(o) as unknown as Record<string, unknown>, fields);
    else t.throws(() => checkShape(o), { code: 'E_COMMAND_MALFORMED', message: want });
  });
}

const refund = { id: 'c0ffee00-0000-4000-8000-0000000000aa', type: 'refund', meter: 'm1', amount: 20_000, issuedAt: NOW - 1000, expiresAt: NOW + 3_600_000 };
const sameKeyCtx = () => ctx({ keys: loadPublicKeys([{ keyId: 'utility-1', publicKey: publicPem(utilityKey) }, { keyId: 'utility-2', publicKey: publicPem(otherKey) }, { keyId: 'utility-1b', publicKey: publicPem(utilityKey) }]) });

test('co-signature: both signatures cover the same text; a good one verifies', (t) => {
  const signed = signCommand(refund, utilityKey, 'utility-1');
  const co = cosignCommand(signed, otherKey, 'utility-2');
  t.is(signedBytes(co).toString(), signedBytes(signed).toString(), 'cosig is outside the signed text');
  t.is(co.sig, signed.sig, 'adding the cosig leaves sig valid');
  const r = verifyCommand(JSON.stringify(co), ctx());
  t.true(r.ok, JSON.stringify(r));
});

test('co-signature refused with E_COMMAND_COSIGN: same key, same public key under another id, unknown key, wrong signature', (t) => {
  const signed = signCommand(refund, utilityKey, 'utility-1');
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['same keyId', cosignCommand(signed, utilityKey, 'utility-1'), /second, different key/],
    ['same public key, other keyId', cosignCommand(signed, utilityKey, 'utility-1b'), /same public key/],
    ['unknown key', cosignCommand(signed, otherKey, 'nobody'), /no key "nobody"/],
    ['signature of other text', { ...signed, cosig: cosignCommand({ ...signed, amount: 20_001 }, otherKey, 'utility-2').cosig }, /does not verify against key "utility-2"/],
  ];
  for (const [name, o, msg] of cases) {
    const r = verifyCommand(JSON.stringify(o), sameKeyCtx());
    t.false(r.ok, name);
    if (!r.ok) {
      t.is(r.reason, 'E_COMMAND_COSIGN', name);
      t.regex(r.message, msg, name);
      t.true(r.authenticated, `${name}: the primary signature verified`);
    }
  }
  t.is(cosignProblem(signed, 'utility-1', sameKeyCtx().keys), null, 'no cosig: not a problem here (the policy decides if one is needed)');
});

test('a forged primary signature is refused before the cosig is looked at', (t) => {
  const co = cosignCommand(signCommand(refund, utilityKey, 'utility-1'), otherKey, 'utility-2');
  const r = verifyCommand(JSON.stringify({ ...co, amount: 1 }), ctx());
  t.false(r.ok);
  if (!r.ok) t.is(r.reason, 'E_COMMAND_SIGNATURE');
});

const LIMITS = { maxAmount: 50_000, maxPerDay: 80_000, cosignAbove: 10_000, maxNegative: 2_000 };
const facts = (over: Partial<CorrectionFacts>): CorrectionFacts => ({ amount: 5_000, delta: 5_000, balance: 1_000, usedToday: 0, cosigned: false, policy: { id: 'p', corrections: LIMITS }, ...over });
const LIMIT_TABLE: Array<[string, Partial<CorrectionFacts>, string | null, RegExp?]> = [
  ['small credit', {}, null],
  ['at the co-sign amount, not co-signed', { amount: 10_000, delta: 10_000 }, null],
  ['above it, not co-signed', { amount: 10_001, delta: 10_001 }, 'E_COMMAND_COSIGN', /co-sign amount of 10000/],
  ['above it, co-signed', { amount: 10_001, delta: 10_001, cosigned: true }, null],
  ['over maxAmount, co-signed', { amount: 50_001, delta: 50_001, cosigned: true }, 'E_COMMAND_LIMIT', /largest correction of 50000/],
  ['over the day', { amount: 5_000, usedToday: 75_001 }, 'E_COMMAND_LIMIT', /daily limit of 80000/],
  ['exactly the day', { amount: 5_000, usedToday: 75_000 }, null],
  ['debit to -maxNegative', { amount: 3_000, delta: -3_000 }, null],
  ['debit below -maxNegative', { amount: 3_001, delta: -3_001 }, 'E_COMMAND_LIMIT', /below -2000/],
  ['credit from deep debt', { amount: 100, delta: 100, balance: -9_000 }, null],
  ['no limits in the policy', { policy: { id: 'bare' } }, 'E_COMMAND_LIMIT', /sets no correction limits/],
  ['opening balance (no day count)', { usedToday: undefined, amount: 9_000, delta: 9_000 }, null],
];
for (const [name, over, want, msg] of LIMIT_TABLE) {
  test(`limits: ${name}`, (t) => {
    const p = correctionProblem(facts(over));
    if (want === null) t.is(p, null);
    else {
      t.is(p?.reason as string | undefined, want);
      t.regex(p!.message, msg!);
    }
  });
}

test('buildSignedCommand: the new types from flags, --cosign-key, and command cosign (the second operator alone)', (t) => {
  const signed = buildSignedCommand({ keyId: 'utility-1', cosignKeyId: 'utility-2', type: 'adjustment', meter: 'm1', amount: '20000', direction: 'debit', reason: 'meter-fault' }, { now: NOW, uuid: () => 'u-1', privateKey: utilityKey, cosignKey: otherKey });
  t.throws(() => buildSignedCommand({ keyId: 'utility-1', type: 'refund', meter: 'm1', amount: '1' }, { now: NOW, uuid: () => 'u', privateKey: utilityKey, cosignKey: otherKey }), { message: /--cosign-key-id/ });
  t.throws(() => buildSignedCommand({ keyId: 'utility-1', cosignKeyId: 'utility-1', type: 'refund', meter: 'm1', amount: '1' }, { now: NOW, uuid: () => 'u', privateKey: utilityKey, cosignKey: otherKey }), { message: /second, different key/ });
  t.like(signed, { type: 'adjustment', amount: 20000, direction: 'debit', reason: 'meter-fault' });
  t.true(verifyCommand(JSON.stringify(signed), ctx()).ok);
  const both = buildSignedCommand({ keyId: 'utility-1', cosignKeyId: 'utility-2', type: 'reverse', meter: 'm1', entry: '7', reason: 'other' }, { now: NOW, uuid: () => 'u-2', privateKey: utilityKey, cosignKey: otherKey });
  t.true(verifyCommand(JSON.stringify(both), ctx()).ok);
  const first = buildSignedCommand({ keyId: 'utility-1', type: 'meter-swap', meter: 'm1', oldFinalReading: '9000', newSerial: 'SN-2', newStartReading: '3' }, { now: NOW, uuid: () => 'u-3', privateKey: utilityKey });
  t.like(first, { oldFinalReading: 9000, newSerial: 'SN-2', newStartReading: 3 });
  const open = cosignCommandText(JSON.stringify(buildSignedCommand({ keyId: 'utility-1', type: 'account-open', meter: 'm1', customer: 'C-2', customerClass: 'r', openingBalance: '500' }, { now: NOW, uuid: () => 'u-4', privateKey: utilityKey })), otherKey, 'utility-2');
  t.true(verifyCommand(JSON.stringify(open), ctx()).ok);
  t.throws(() => cosignCommandText(JSON.stringify(first), utilityKey, 'utility-1'), { message: /second, different key/ });
});

test('prepaid-gateway command sign --cosign-key and command cosign (installed CLI)', (t) => {
  const dir = tempDir(t);
  keygen(join(dir, 'k'), 'ops-a');
  keygen(join(dir, 'k'), 'ops-b');
  const key = (id: string) => join(dir, 'k', `${id}.private.pem`);
  const run = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, 'command', ...args], { encoding: 'utf8', timeout: 30_000, input });
  const a = run(['sign', '--key', key('ops-a'), '--key-id', 'ops-a', '--type', 'refund', '--meter', 'm1', '--amount', '20000', '--reference', 'R-9', '--cosign-key', key('ops-b'), '--cosign-key-id', 'ops-b']);
  t.is(a.status, 0, a.stderr);
  const signed = JSON.parse(a.stdout) as { cosig: { keyId: string }; reference: string };
  t.is(signed.cosig.keyId, 'ops-b');
  t.is(signed.reference, 'R-9');
  const one = run(['sign', '--key', key('ops-a'), '--key-id', 'ops-a', '--type', 'adjustment', '--meter', 'm1', '--amount', '20000', '--direction', 'credit', '--reason', 'goodwill']);
  t.is(one.status, 0, one.stderr);
  writeFileSync(join(dir, 'one.json'), one.stdout);
  const co = run(['cosign', join(dir, 'one.json'), '--key', key('ops-b'), '--key-id', 'ops-b']);
  t.is(co.status, 0, co.stderr);
  t.is((JSON.parse(co.stdout) as { cosig: { keyId: string } }).cosig.keyId, 'ops-b');
  const bad = run(['sign', '--key', key('ops-a'), '--key-id', 'ops-a', '--type', 'adjustment', '--meter', 'm1', '--amount', '5', '--direction', 'sideways', '--reason', 'goodwill']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /E_COMMAND_MALFORMED: direction:/);
});
