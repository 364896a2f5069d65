/**
 * What the docs promise, tried with bad input on the real CLI process: the keygen snippet, YAML
 * errors, every problem in one pass, a public console refused at load, unknown commands, key files.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import YAML from 'yaml';
import { hashPassword } from '../../src/adapters/web/password.js';
import { tempDir } from '../store/temp-dir.js';
import { cliGateway } from './cli-fixture.js';
import { CLI, cli } from './run-cli.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

test('keygen: the printed snippet, pasted under credit:, passes config check; where docs/mqtt.md said (top-level commands:) it is refused', async (t) => {
  const g = cliGateway(t);
  const kg = await cli(['command', 'keygen', '--out', join(g.dir, 'keys'), '--key-id', 'utility-2025']);
  t.is(kg.code, 0, kg.stderr);
  const snippet = kg.stdout.slice(kg.stdout.indexOf('\n\n  keys:') + 2);
  t.regex(snippet, /^ {2}keys:\n {4}- keyId: utility-2025\n {6}publicKey: \S+\n$/);

  // Paste it under `credit:` of a config whose credit section has no keys yet.
  const { keys: _keys, ...credit } = g.raw.credit as Record<string, unknown>;
  const text = YAML.stringify({ ...g.raw, credit }).replace(/^credit:\n/m, `credit:\n${snippet}`);
  writeFileSync(g.file, text);
  const ok = await cli(['config', 'check', g.file]);
  t.is(ok.code, 0, `${ok.stderr}\n${text}`);
  t.regex(ok.stdout, /: ok \(1 buses, 1 meters\)/);

  // The old snippet at the top level, as docs/mqtt.md showed it.
  writeFileSync(g.file, `${YAML.stringify(g.raw)}commands:\n${snippet}`);
  const bad = await cli(['config', 'check', g.file]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^ {2}commands: unknown key$/m);

  const docs = readFileSync(join(REPO, 'docs/mqtt.md'), 'utf8');
  t.notRegex(docs, /^commands:\n {2}keys:/m, 'docs/mqtt.md no longer shows keys under a top-level commands:');
  t.regex(docs, /^credit:\n(?: {2}#.*\n)? {2}keys:\n {4}- keyId: utility-2025\n/m);
});

test('keygen: private key 0600 whatever the umask, a warning inside a git work tree, and .gitignore covers keys/ and *.private.pem', (t) => {
  const dir = tempDir(t);
  const outside = spawnSync('sh', ['-c', `umask 000 && exec "${process.execPath}" "${CLI}" command keygen --out "${join(dir, 'k')}" --key-id a`], { encoding: 'utf8' });
  t.is(outside.status, 0, outside.stderr);
  t.is(statSync(join(dir, 'k', 'a.private.pem')).mode & 0o777, 0o600);
  t.is(statSync(join(dir, 'k')).mode & 0o077, 0, 'the key directory is not readable by others either');
  t.notRegex(outside.stderr, /git work tree/);

  mkdirSync(join(dir, 'repo', '.git'), { recursive: true });
  const inside = spawnSync(process.execPath, [CLI, 'command', 'keygen', '--out', join(dir, 'repo', 'keys'), '--key-id', 'b'], { encoding: 'utf8' });
  t.is(inside.status, 0, inside.stderr);
  t.regex(inside.stderr, /warning: .*b\.private\.pem is inside the git work tree .*repo: never commit it/);

  const ignored = spawnSync('git', ['-C', REPO, 'check-ignore', '--no-index', 'keys/utility-1.private.pem', 'gateway/keys/x.public.pem', 'elsewhere/site.private.pem'], { encoding: 'utf8' });
  if (ignored.error) return t.log('git not installed: .gitignore not checked');
  t.deepEqual(ignored.stdout.trim().split('\n'), ['keys/utility-1.private.pem', 'gateway/keys/x.public.pem', 'elsewhere/site.private.pem']);
});

test('a YAML syntax error shows file:line:col, the whole line and a caret under the column', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'gw.yaml');
  writeFileSync(file, 'gateway: { id: gw-1 }\nmqtt:\n  url: mqtt://broker:1883: extra\nstorage: { path: x.db }\n');
  const r = await cli(['config', 'check', file]);
  t.is(r.code, 2);
  const lines = r.stderr.split('\n');
  t.is(lines[0], `prepaid-gateway: E_CONFIG_INVALID: ${file}:3:8: not valid YAML: Nested mappings are not allowed in compact mappings`);
  t.is(lines[1], '   3 |   url: mqtt://broker:1883: extra');
  t.is(lines[2], '     |        ^');
  t.is(lines[1]!.indexOf('mqtt://'), lines[2]!.indexOf('^'), 'the caret is under the column named');

  writeFileSync(file, 'gateway:\n\tid: gw-1\n');
  const tab = await cli(['config', 'check', file]);
  t.regex(tab.stderr, /:2:1: not valid YAML: Tabs are not allowed as indentation\n {3}2 \| \tid: gw-1\n {5}\| \^\n/);
});

test('config check reports every problem in one pass: schema, time zone, references, credit', async (t) => {
  const g = cliGateway(t);
  const raw = structuredClone(g.raw) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw.gateway.timezone = 'Mars/Olympus';
  raw.meters[0].polMs = 5;
  raw.meters.push({ id: 'p2', bus: 'nope', unit: 2, profile: 'prepaid' });
  raw.mqtt.keepaliveSec = -1;
  raw.credit.accounts.push({ meter: 'ghost', customer: 'C-2', class: 'money' });
  g.write(raw);
  const r = await cli(['config', 'check', g.file]);
  t.is(r.code, 2);
  for (const line of ['meters[0].polMs: unknown key', 'mqtt.keepaliveSec: must be >= ', 'gateway.timezone: unknown IANA time zone "Mars/Olympus"', 'meters[1].bus: no bus with id "nope"', 'credit.accounts[1].meter: no meter "ghost" in meters']) {
    t.true(r.stderr.includes(`  ${line}`), `${line}\n${r.stderr}`);
  }
});

test('a public console.listen is refused by config check, and by run before it connects anywhere', async (t) => {
  const broker = createServer((s) => s.destroy());
  let connections = 0;
  broker.on('connection', () => connections++);
  await new Promise<void>((r) => broker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => broker.close());
  const port = (broker.address() as { port: number }).port;
  const g = cliGateway(t);
  const console_ = { listen: '0.0.0.0:18080', users: [{ name: 'tech', passwordHash: await hashPassword('pw', { N: 1024, r: 8, p: 1 }) }] };
  g.write({ ...g.raw, mqtt: { ...(g.raw.mqtt as object), url: `mqtt://127.0.0.1:${port}` }, console: console_ });

  const check = await cli(['config', 'check', g.file]);
  t.is(check.code, 2);
  t.regex(check.stderr, /^ {2}console\.listen: 0\.0\.0\.0 is not a loopback address; set console\.allowPublic: true/m);
  const run = await cli(['run', '--config', g.file], { timeoutMs: 30_000 });
  t.is(run.code, 2);
  t.regex(run.stderr, /E_CONFIG_INVALID: .*\n {2}console\.listen: /);
  t.is(connections, 0, 'no connection to the broker: no retained "offline" status left behind');

  g.write({ ...g.raw, console: { ...console_, allowPublic: true } });
  t.is((await cli(['config', 'check', g.file])).code, 0, 'allowPublic: true is the way to ask for it');
});

test('an unknown command exits 2 naming it, with a hint; `--config FILE` still runs the gateway', async (t) => {
  const r = await cli(['frobnicate']);
  t.is(r.code, 2);
  t.regex(r.stderr, /^prepaid-gateway: unknown command 'frobnicate'\n/);
  t.regex(r.stderr, /commands: run, config, .*scan.*\n.*prepaid-gateway --help/);
  t.notRegex(r.stderr, /required option/);
  const typo = await cli(['sacn', '--path', '/dev/null']);
  t.is(typo.code, 2);
  t.regex(typo.stderr, /unknown command 'sacn' \(did you mean 'scan'\?\)/);

  const dir = tempDir(t);
  const missing = join(dir, 'none.yaml');
  const def = await cli(['--config', missing]);
  t.is(def.code, 2);
  t.regex(def.stderr, /E_CONFIG_INVALID: cannot read config .*none\.yaml/, 'the default command is still run');
  const extra = await cli(['--config', missing, 'frobnicate']);
  t.not(extra.code, 0);
  t.regex(extra.stderr, /too many arguments for 'run'/, 'a stray word after the options is not silently ignored');
  t.is((await cli(['--version'])).code, 0);
});

test('a policy with several problems: config check names each field, not only "invalid policy"', async (t) => {
  const g = cliGateway(t);
  const raw = structuredClone(g.raw) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw.credit.policies.res = {
    id: 'res', lowCreditThresholds: [1500], emergencyCredit: null, colour: 'red',
    friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 },
  };
  g.write(raw);
  const r = await cli(['config', 'check', g.file]);
  t.is(r.code, 2);
  for (const line of ['credit.policies.res.lowCreditThresholds: must NOT have fewer than 2 items', 'credit.policies.res.colour: unknown key']) {
    t.true(r.stderr.includes(`  ${line}`), `${line}\n${r.stderr}`);
  }
  t.false(r.stderr.includes('invalid policy'), r.stderr);
});
