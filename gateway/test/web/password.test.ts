/** Password hash format (scrypt$N$r$p$salt$hash), verification, tokens, and the CLI helper. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { hashPassword, hashToken, newApiToken, parsePasswordHash, verifyPassword } from '../../src/adapters/web/password.js';
import { isLoopback, listenAddress, parseListen } from '../../src/adapters/web/console-config.js';
import { FAST } from './helpers.js';
import { CLI } from '../helpers/gateway-cli.js';

test('hashPassword writes scrypt$N$r$p$salt$hash with a fresh salt, and verifies', async (t) => {
  const a = await hashPassword('s3cret', FAST);
  const b = await hashPassword('s3cret', FAST);
  t.regex(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.not(a, b, 'salted');
  t.true(await verifyPassword('s3cret', a));
  t.false(await verifyPassword('s3cret ', a));
  t.false(await verifyPassword('', a));
  const p = parsePasswordHash(a);
  t.like(p, { N: 1024, r: 8, p: 1 });
  t.is(p.salt.length, 16);
  t.is(p.hash.length, 32);
});

test('malformed hashes are refused', (t) => {
  for (const bad of ['', 'scrypt$1000$8$1$abc$def', 'bcrypt$10$8$1$abc$def', 'scrypt$1024$8$1$abc', 'scrypt$1024$0$1$abc$def']) {
    const e = t.throws(() => parsePasswordHash(bad), undefined, bad);
    t.is((e as Error & { code?: string }).code, 'E_CONFIG_INVALID');
  }
});

test('API tokens: random, hashed as sha256$hex', (t) => {
  const a = newApiToken();
  t.regex(a, /^pgw_[A-Za-z0-9_-]{43}$/);
  t.not(a, newApiToken());
  t.regex(hashToken(a), /^sha256\$[0-9a-f]{64}$/);
  t.is(hashToken('abc'), 'sha256$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('listen addresses: loopback only unless allowPublic', (t) => {
  t.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  t.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) t.true(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '192.168.1.10', 'gateway.local']) t.false(isLoopback(h), h);
  t.throws(() => listenAddress({ listen: '192.168.1.10:80', allowPublic: false }), { message: /allowPublic/ });
  t.deepEqual(listenAddress({ listen: '192.168.1.10:80', allowPublic: true }), { host: '192.168.1.10', port: 80 });
  t.throws(() => parseListen('127.0.0.1:99999'));
});

test('`prepaid-gateway console hash-password` reads stdin and prints a hash that verifies', async (t) => {
  const r = spawnSync(process.execPath, [CLI, 'console', 'hash-password'], { input: 'pa55 word\n', encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
  const hash = r.stdout.trim();
  t.regex(hash, /^scrypt\$16384\$8\$1\$/);
  t.true(await verifyPassword('pa55 word', hash));
  t.false(r.stdout.includes('pa55'), 'the password is not echoed');
  const tok = spawnSync(process.execPath, [CLI, 'console', 'new-token'], { encoding: 'utf8', timeout: 30_000 });
  t.is(tok.status, 0, tok.stderr);
  const [, token, tokenHash] = /token: (\S+)\ntokenHash: (\S+)/.exec(tok.stdout)!;
  t.is(hashToken(token!), tokenHash!);
});
