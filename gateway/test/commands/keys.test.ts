/** Ed25519 keys from the configuration, and signatures over canonical JSON. */
import test from 'ava';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { decodeSignature, generateCommandKeyPair, loadPublicKeys, parsePublicKey, rawPublicKey, signCommand, signedBytes, verifySignature } from '../../src/core/commands/keys.js';
import { otherKey, privateKeyFromSeed, publicPem, RFC8032_TEST1, topupFields, utilityKey } from './fixtures.js';

test('RFC 8032 section 7.1 TEST 1: the raw base64 public key verifies the published signature', (t) => {
  const key = parsePublicKey(Buffer.from(RFC8032_TEST1.public, 'hex').toString('base64'));
  t.true(verify(null, Buffer.alloc(0), key, Buffer.from(RFC8032_TEST1.sigEmpty, 'hex')));
  t.is(rawPublicKey(createPublicKey(privateKeyFromSeed(RFC8032_TEST1.secret))), Buffer.from(RFC8032_TEST1.public, 'hex').toString('base64'), 'seed -> public key as published');
});

test('a key given as PEM and as raw base64 is the same key', (t) => {
  const pem = publicPem(utilityKey);
  const raw = rawPublicKey(createPublicKey(utilityKey));
  const keys = loadPublicKeys([
    { keyId: 'pem', publicKey: pem },
    { keyId: 'raw', publicKey: raw },
    { keyId: 'raw-padded-whitespace', publicKey: `  ${raw}\n` },
  ]);
  const cmd = signCommand(topupFields(), utilityKey, 'k');
  for (const id of ['pem', 'raw', 'raw-padded-whitespace']) t.true(verifySignature(cmd, cmd.sig, keys.get(id)!), id);
  t.true(keys.get('pem')!.equals(keys.get('raw')!));
});

test('bad key entries are refused with the path of the field', (t) => {
  const raw = rawPublicKey(createPublicKey(utilityKey));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const cases: [unknown[], RegExp][] = [
    [[{ keyId: '', publicKey: raw }], /^commands\.keys\[0\]\.keyId: must be a non-empty string/],
    [[{ keyId: 'a', publicKey: raw }, { keyId: 'a', publicKey: raw }], /^commands\.keys\[1\]\.keyId: duplicate keyId "a"/],
    [[{ keyId: 'a', publicKey: raw.slice(4) }], /^commands\.keys\[0\]\.publicKey: must be PEM \(SPKI\) or the base64 of the raw 32-byte/],
    [[{ keyId: 'a', publicKey: 'not base64!' }], /^commands\.keys\[0\]\.publicKey: must be PEM/],
    [[{ keyId: 'a', publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }], /^commands\.keys\[0\]\.publicKey: not a PEM public key/],
    [[{ keyId: 'a', publicKey: rsa }], /^commands\.keys\[0\]\.publicKey: is a rsa key, not Ed25519/],
    [[{ keyId: 'a', publicKey: 42 }], /^commands\.keys\[0\]\.publicKey: must be a string/],
  ];
  for (const [entries, message] of cases) {
    const e = t.throws(() => loadPublicKeys(entries as never), { message }, String(message));
    t.is((e as { code?: string }).code, 'E_CONFIG_INVALID');
  }
});

test('sig is base64url without padding; base64 with or without padding verifies too', (t) => {
  const cmd = signCommand(topupFields(), utilityKey, 'utility-1');
  t.regex(cmd.sig, /^[A-Za-z0-9_-]{86}$/);
  const bytes = Buffer.from(cmd.sig, 'base64url');
  const key = createPublicKey(utilityKey);
  t.true(verifySignature(cmd, bytes.toString('base64'), key));
  t.true(verifySignature(cmd, bytes.toString('base64').replace(/=+$/, ''), key));
  t.is(decodeSignature(bytes.subarray(0, 63).toString('base64url')), null, '63 bytes');
  t.is(decodeSignature('!!'), null);
  t.false(verifySignature(cmd, 'AAAA', key));
});

test('the signature covers every field but sig; changing any field, or the key, breaks it', (t) => {
  const cmd = signCommand(topupFields({ note: 'shop 12' }), utilityKey, 'utility-1');
  const key = createPublicKey(utilityKey);
  t.true(verifySignature(cmd, cmd.sig, key));
  t.true(verifySignature({ ...cmd, sig: 'ignored' }, cmd.sig, key), 'sig inside the fields is not covered');
  for (const [field, value] of Object.entries({ id: 'x', meter: 'm2', amount: 5001, currency: 'USD', issuedAt: (cmd.issuedAt as number) + 1, expiresAt: (cmd.expiresAt as number) + 1, keyId: 'utility-2', note: 'shop 13' })) {
    t.false(verifySignature({ ...cmd, [field]: value }, cmd.sig, key), `tampered ${field}`);
  }
  t.false(verifySignature({ ...cmd, extra: 1 }, cmd.sig, key), 'added field');
  t.false(verifySignature(cmd, cmd.sig, createPublicKey(otherKey)), 'another key');
  t.false(verifySignature(cmd, signCommand(topupFields({ note: 'shop 12' }), otherKey, 'utility-1').sig, key), 'signed by another key');
});

test('signCommand: signs canonical bytes, so field order is irrelevant; keyId conflicts are refused', (t) => {
  const a = signCommand({ id: '1', type: 'topup', amount: 5, meter: 'm1' }, utilityKey, 'k');
  const b = signCommand({ meter: 'm1', amount: 5, type: 'topup', id: '1' }, utilityKey, 'k');
  t.is(a.sig, b.sig, 'Ed25519 is deterministic and the bytes are the same');
  t.is(signedBytes(a).toString(), '{"amount":5,"id":"1","keyId":"k","meter":"m1","type":"topup"}');
  t.throws(() => signCommand({ keyId: 'x' }, utilityKey, 'k'), { message: /^keyId: fields say "x"/ });
  const pem = utilityKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  t.is(signCommand({ id: '1' }, pem, 'k').sig, signCommand({ id: '1' }, utilityKey, 'k').sig, 'PEM or KeyObject');
  t.throws(() => signCommand({ id: '1' }, generateKeyPairSync('x25519').privateKey, 'k'), { message: /not Ed25519/ });
});

test('generateCommandKeyPair: the three forms belong together', (t) => {
  const p = generateCommandKeyPair();
  const cmd = signCommand({ id: 'x' }, p.privateKeyPem, 'k');
  t.true(verifySignature(cmd, cmd.sig, parsePublicKey(p.publicKeyPem)));
  t.true(verifySignature(cmd, cmd.sig, parsePublicKey(p.publicKeyRaw)));
  t.is(Buffer.from(p.publicKeyRaw, 'base64').length, 32);
});
