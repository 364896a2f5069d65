/**
 * The utility's side: `prepaid-gateway command keygen | sign | verify` (functions and the real CLI),
 * the plain-Node example of docs/mqtt.md, and the documented test vector.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand } from '../../src/core/commands/envelope.js';
import { loadPublicKeys, rawPublicKey, signCommand, signedBytes } from '../../src/core/commands/keys.js';
import { buildSignedCommand, keygen, parseDuration, parseTime } from '../../src/app/cli/sign-cli.js';
import { tempDir } from '../store/temp-dir.js';
import { ctx, NOW, privateKeyFromSeed, utilityKey } from './fixtures.js';

import { CLI } from '../cli/run-cli.js';
const EXAMPLE = fileURLToPath(new URL('../../../examples/sign-command-example.mjs', import.meta.url));
const DOCS = fileURLToPath(new URL('../../../../docs/mqtt.md', import.meta.url));

const run = (args: string[], input?: string) => spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000, input });
/** A context that trusts `publicKey` (raw base64 or PEM) as `keyId`, at the real time. */
const liveCtx = (keyId: string, publicKey: string) => ctx({ keys: loadPublicKeys([{ keyId, publicKey }]), now: Date.now() });

test('buildSignedCommand: flags -> a command the gateway accepts; id, issuedAt and expiresAt defaulted', (t) => {
  const signed = buildSignedCommand(
    { keyId: 'utility-1', type: 'topup', meter: 'm1', amount: '5000', currency: 'CNY', ttl: '30m' },
    { now: NOW, uuid: () => 'uuid-1', privateKey: utilityKey },
  );
  t.like(signed, { id: 'uuid-1', issuedAt: NOW, expiresAt: NOW + 1_800_000, amount: 5000, keyId: 'utility-1' });
  t.true(parseCommand(JSON.stringify(signed), ctx()).ok);
  const noTtl = buildSignedCommand({ keyId: 'utility-1', type: 'emergency-credit', meter: 'm1' }, { now: NOW, uuid: () => 'u', privateKey: utilityKey });
  t.is(noTtl.expiresAt, NOW + 3_600_000, 'default ttl 1h');
});

test('buildSignedCommand: --json fields, flags override them, --ttl overrides a JSON expiresAt', (t) => {
  const json = JSON.stringify({ type: 'relay-override', meter: 'm2', state: 'connected', until: NOW + 5000, id: 'from-json', expiresAt: NOW + 60_000, sig: 'stale' });
  const a = buildSignedCommand({ keyId: 'utility-1', meter: 'm1', issuedAt: String(NOW) }, { now: 0, uuid: () => 'u', json, privateKey: utilityKey });
  t.like(a, { id: 'from-json', meter: 'm1', issuedAt: NOW, expiresAt: NOW + 60_000, until: NOW + 5000 });
  t.true(parseCommand(JSON.stringify(a), ctx()).ok, 'a stale sig in the JSON is replaced');
  const b = buildSignedCommand({ keyId: 'utility-1', ttl: '2m', until: '1h' }, { now: NOW, uuid: () => 'u', json, privateKey: utilityKey });
  t.like(b, { expiresAt: NOW + 120_000, until: NOW + 3_600_000 });
});

test('buildSignedCommand refuses what the gateway would refuse as malformed, naming the field', (t) => {
  const deps = { now: NOW, uuid: () => 'u', privateKey: utilityKey };
  const cases: [Record<string, string>, RegExp][] = [
    [{ type: 'topup', meter: 'm1', amount: '0', currency: 'CNY' }, /^amount: must be a positive integer$/],
    [{ type: 'topup', meter: 'm1', amount: '12.5', currency: 'CNY' }, /^amount: "12.5" is not an integer/],
    [{ type: 'topup', meter: 'm1', amount: '5', currency: 'yuan' }, /^currency: must be an ISO 4217/],
    [{ type: 'topup', amount: '5', currency: 'CNY' }, /^meter: missing$/],
    [{ type: 'reboot' }, /^type: "reboot" is not one of/],
    [{ type: 'emergency-credit', meter: 'm1', ttl: 'soon' }, /^ttl: "soon" is not a duration/],
  ];
  for (const [flags, message] of cases) t.throws(() => buildSignedCommand({ keyId: 'k', ...flags }, deps), { message }, String(message));
  t.throws(() => buildSignedCommand({ keyId: 'k' }, { ...deps, json: '[1]' }), { message: /^command: must be a JSON object$/ });
});

test('durations and times', (t) => {
  t.deepEqual(['500ms', '90s', '30m', '1h', '7d', '250'].map((d) => parseDuration('ttl', d)), [500, 90_000, 1_800_000, 3_600_000, 604_800_000, 250]);
  t.throws(() => parseDuration('ttl', '1.5h'));
  t.throws(() => parseDuration('ttl', '-1h'));
  t.is(parseTime('until', '1763800000000', 0), 1763800000000);
  t.is(parseTime('until', '2025-11-22T08:26:40Z', 0), 1763800000000);
  t.is(parseTime('until', '2h', 1000), 7_201_000);
  t.throws(() => parseTime('until', 'tomorrow', 0), { message: /^until: "tomorrow" is not epoch ms, ISO 8601 or a duration$/ });
});

test('keygen: private key mode 0600, public key, a config snippet the gateway loads; never overwrites', (t) => {
  const dir = join(tempDir(t), 'keys');
  const r = keygen(dir, 'utility-2025');
  t.is(statSync(r.privateKeyPath).mode & 0o777, 0o600);
  t.regex(readFileSync(r.privateKeyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  t.regex(readFileSync(r.publicKeyPath, 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  t.true(r.configSnippet.includes(`publicKey: ${r.publicKeyRaw}`));
  const signed = signCommand({ id: 'x', type: 'emergency-credit', meter: 'm1', issuedAt: Date.now(), expiresAt: Date.now() + 60_000 }, readFileSync(r.privateKeyPath, 'utf8'), 'utility-2025');
  t.true(parseCommand(JSON.stringify(signed), liveCtx('utility-2025', r.publicKeyRaw)).ok);
  t.true(parseCommand(JSON.stringify(signed), liveCtx('utility-2025', readFileSync(r.publicKeyPath, 'utf8'))).ok);
  t.throws(() => keygen(dir, 'utility-2025'), { code: 'EEXIST' } as never);
  t.throws(() => keygen(dir, '../evil'), { message: /^keyId: use 1-64 letters/ });
});

test('CLI: keygen, sign (flags and --json -), verify, and a refusal, as a utility runs them', (t) => {
  const dir = tempDir(t);
  const kg = run([CLI, 'command', 'keygen', '--out', join(dir, 'keys'), '--key-id', 'utility-2025']);
  t.is(kg.status, 0, kg.stderr);
  const pub = /publicKey: (\S+)/.exec(kg.stdout)?.[1];
  t.truthy(pub, kg.stdout);
  t.regex(kg.stdout, /under `credit:`[^\n]*\n\n {2}keys:\n {4}- keyId: utility-2025\n/);
  const keyFile = join(dir, 'keys', 'utility-2025.private.pem');
  t.is(statSync(keyFile).mode & 0o777, 0o600);
  const keyArgs = [CLI, 'command', 'sign', '--key', keyFile, '--key-id', 'utility-2025'];

  const s = run([...keyArgs, '--ttl', '1h', '--type', 'topup', '--meter', 'm1', '--amount', '5000', '--currency', 'CNY']);
  t.is(s.status, 0, s.stderr);
  t.is(s.stdout.trim().split('\n').length, 1, 'one line, ready for mosquitto_pub -s');
  const topup = JSON.parse(s.stdout) as Record<string, unknown>;
  t.regex(topup.id as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.is((topup.expiresAt as number) - (topup.issuedAt as number), 3_600_000);
  t.like(parseCommand(s.stdout, liveCtx('utility-2025', pub!)), { ok: true, command: { type: 'topup', amount: 5000 } });

  const tariff = { type: 'tariff', customerClass: 'residential', activeFrom: 0, tariff: { id: 't', 'é': 1, z: [{ b: 1, a: 2 }] } };
  const j = run([...keyArgs, '--json', '-', '--note', 'from stdin'], JSON.stringify(tariff));
  t.is(j.status, 0, j.stderr);
  t.like(parseCommand(j.stdout, liveCtx('utility-2025', pub!)), { ok: true, command: { type: 'tariff', note: 'from stdin' } });

  const file = join(dir, 'cmd.json');
  writeFileSync(file, j.stdout);
  const v = run([CLI, 'command', 'verify', '--public-key', join(dir, 'keys', 'utility-2025.public.pem'), file]);
  t.is(v.status, 0, v.stderr);
  t.regex(v.stdout, /^signed text: \{"activeFrom":0,"customerClass":"residential",/);
  t.regex(v.stdout, /signature: ok/);
  writeFileSync(file, j.stdout.replace('"residential"', '"commercial"'));
  const bad = run([CLI, 'command', 'verify', '--public-key', pub!, file]);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /sig: does not verify/);

  const refused = run([...keyArgs, '--type', 'topup', '--meter', 'm1', '--amount', '-5', '--currency', 'CNY']);
  t.is(refused.status, 2);
  t.regex(refused.stderr, /E_COMMAND_MALFORMED: amount: must be a positive integer/);
  t.is(refused.stdout, '');
});

test('the plain-Node example signs commands the gateway accepts (nested objects, non-ASCII keys too)', (t) => {
  const dir = tempDir(t);
  const { privateKeyPath, publicKeyRaw } = keygen(dir, 'utility-2025');
  const commands = [
    { type: 'topup', meter: 'm1', amount: 5000, currency: 'CNY' },
    { type: 'tariff', meter: 'm2', activeFrom: 1, tariff: { id: 'x', '\u20ac': 1, '\r': 2, '\ufb33': [3, { '\ud83d\ude00': 4, '\u00f6': null }], a: true } },
    { type: 'relay-override', meter: 'm1', state: 'auto', note: '维护 maintenance' },
  ];
  for (const fields of commands) {
    const r = run([EXAMPLE, privateKeyPath, 'utility-2025', JSON.stringify(fields)]);
    t.is(r.status, 0, r.stderr);
    const parsed = parseCommand(r.stdout, liveCtx('utility-2025', publicKeyRaw));
    t.true(parsed.ok, parsed.ok ? '' : parsed.message);
  }
});

test('docs/mqtt.md shows the example file verbatim', (t) => {
  const docs = readFileSync(DOCS, 'utf8');
  const m = /<!-- sign-command-example\.mjs[^\n]*-->\n```js\n([\s\S]*?)```\n/.exec(docs);
  t.truthy(m, 'marker and js block present');
  t.is(m![1], readFileSync(EXAMPLE, 'utf8'));
});

test('docs/mqtt.md test vector: key, signed text and sig are what the gateway computes', (t) => {
  const docs = readFileSync(DOCS, 'utf8');
  const key = privateKeyFromSeed('a5'.repeat(32));
  const fields = { id: '3b0f6c1e-8d2a-4f57-9a0e-2c6d1b7e4f10', type: 'topup', meter: 'm1', amount: 50000, currency: 'CNY', issuedAt: 1763800000000, expiresAt: 1763803600000 };
  const signed = signCommand(fields, key, 'utility-2025');
  for (const line of key.export({ format: 'pem', type: 'pkcs8' }).toString().trim().split('\n')) t.true(docs.includes(line), line);
  t.true(docs.includes(`public key   ${rawPublicKey(createPublicKey(key))}`));
  t.true(docs.includes(`signed text  ${signedBytes(signed).toString('utf8')}`));
  t.true(docs.includes(`sig          ${signed.sig}`));
  t.true(docs.includes(`"sig": "${signed.sig}"`), 'the envelope example carries the same sig');
  const c = ctx({ keys: loadPublicKeys([{ keyId: 'utility-2025', publicKey: rawPublicKey(createPublicKey(key)) }]), now: 1763800000000 });
  const envelope = /### Envelope[\s\S]*?```json\n([\s\S]*?)```/.exec(docs)![1]!;
  t.like(parseCommand(envelope, c), { ok: true });
});
