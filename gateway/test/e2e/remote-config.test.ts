/**
 * Issue 15, item 6: remote configuration through a real mosquitto to the real `prepaid-gateway run`
 * process. The head end takes the active hash from the retained status message, signs a `config`
 * command (a JSON merge patch) and publishes it; seen from outside: the result, the readings, the
 * status message, the events, the audit rows in the SQLite file, the config file, the same pid.
 */
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import YAML from 'yaml';
import { Simulator } from '@prepaid-edge/simulator';
import { freePort, startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { hashPassword, hashToken } from '../../src/adapters/web/password.js';
import { API_TOKEN, FAST, PASSWORD } from '../web/helpers.js';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { signCommand } from '../../src/core/commands/keys.js';
import { activeOf, readDocument } from '../../src/app/config/remote-config.js';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, range, seqCensus, subscribe, waitFor, type Subscriber } from '../uplink/helpers.js';
import { openGatewayDb } from './gateway-db.js';
import { FLAT, STRICT } from './one-prepaid-meter.js';
import { rawConfig, runFile as run, sleep, type CliChild } from './rig.js';

const configHashOfFile = (file: string): string => activeOf(readDocument(file)).hash;
const serial = testWith(['mosquitto']).serial ?? testWith(['mosquitto']);

interface Status {
  state: string;
  startedAt: number;
  config?: { version: number; hash: string };
}

interface Result {
  status: string;
  id: string | null;
  reason?: string;
  message?: string;
  detail?: Record<string, unknown>;
}

const pem = (k: KeyObject): string => createPublicKey(k).export({ format: 'pem', type: 'spki' }).toString();

function keyPair(): { priv: KeyObject; pub: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { priv: privateKey, pub: pem(privateKey) };
}

interface Rig {
  sub: Subscriber;
  sim: Simulator;
  dir: string;
  file: string;
  db: string;
  root: string;
  gwId: string;
  key: { priv: KeyObject; pub: string };
  meters: Array<Record<string, unknown>>;
  brokerUrl: string;
  gw: CliChild;
  status(): Status | undefined;
  result(id: string): Promise<Result>;
  send(fields: Record<string, unknown>, key?: KeyObject, keyId?: string): Promise<string>;
  events(type: string): Array<Record<string, unknown>>;
}

async function rig(t: ExecutionContext, name: string, trialMs: number, extra: Record<string, unknown> = {}): Promise<Rig> {
  const dir = tempDir(t);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const sim = new Simulator({ profile: 'prepaid', meters: 2, seed: `e2e-remote-${name}` });
  sim.setLoad(1, { type: 'constant', watts: 20_000 });
  sim.setLoad(2, { type: 'constant', watts: 1000 });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const key = keyPair();
  const gwId = `e2e-remote-${name}`;
  const db = join(dir, 'gw.db');
  const meters = [{ id: 'p1', bus: 'tcp1', unit: 1, profile: 'prepaid', pollMs: 250 }];
  const raw = rawConfig(gwId, db, broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
    meters,
    remoteConfig: { trialMs },
    credit: {
      tariffs: { flat: FLAT },
      policies: { strict: STRICT },
      classes: { residential: { tariff: 'flat', policy: 'strict' } },
      accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 100_000 }],
      keys: [{ keyId: 'utility-a', publicKey: key.pub }],
      chargeEveryMs: 1000,
    },
    ...extra,
  });
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, YAML.stringify(raw));
  const root = `${PREFIX}/${gwId}`;
  const r: Rig = {
    sub,
    sim,
    dir,
    file,
    db,
    root,
    gwId,
    key,
    meters,
    brokerUrl: broker.url,
    gw: run(t, file),
    status: () => sub.on(`${root}/status`).at(-1)?.json as Status | undefined,
    result: async (id) => {
      const of = () => sub.on(`${root}/commands/results`).find((m) => m.json.id === id)?.json as Result | undefined;
      await waitFor(`the result of ${id}`, () => of() !== undefined, 20_000);
      return of()!;
    },
    send: async (fields, k = key.priv, keyId = 'utility-a') => {
      const id = randomUUID();
      const now = Date.now();
      const cmd = signCommand({ id, issuedAt: now - 1000, expiresAt: now + 3_600_000, ...fields }, k, keyId);
      await sub.client.publishAsync(`${root}/commands`, JSON.stringify(cmd), { qos: 1 });
      return id;
    },
    events: (type) => sub.on(`${root}/events`).filter((m) => m.json.type === type).map((m) => m.json),
  };
  await waitFor('the gateway is online', () => r.status()?.state === 'online', 30_000).catch((e: Error) => t.fail(`${e.message}\n${r.gw.stderr()}`));
  return r;
}

const onlineWith = (r: Rig, version: number) => r.status()?.state === 'online' && r.status()?.config?.version === version;

serial('a signed merge patch adds a meter: readings appear without a restart (same pid), the other meter keeps polling without a gap, the file is written back', async (t) => {
  t.timeout(120_000);
  const r = await rig(t, 'add', 5000);
  const before = r.status()!;
  t.is(before.config?.version, 0, 'a file without configVersion is version 0');
  t.regex(before.config?.hash ?? '', /^sha256:[0-9a-f]{64}$/);
  const pid = r.gw.proc.pid;
  await waitFor('p1 polls', () => r.sub.readings(r.gwId).some((x) => x.meter === 'p1'), 20_000);

  // Refused, nothing changed: a meter without its unit (the path of the field), another base, a stale version.
  const bad = await r.send({ type: 'config', version: 1, base: before.config!.hash, patch: { meters: [...r.meters, { id: 'p2', bus: 'tcp1', profile: 'prepaid', pollMs: 250 }] } });
  const badResult = await r.result(bad);
  t.is(badResult.status, 'rejected');
  t.is(badResult.reason, 'E_CONFIG_INVALID');
  t.regex(badResult.message ?? '', /^meters\[1\]\.unit: /, badResult.message);
  const otherBase = await r.send({ type: 'config', version: 1, base: `sha256:${'0'.repeat(64)}`, patch: { log: { level: 'info' } } });
  t.is((await r.result(otherBase)).reason, 'E_CONFIG_BASE');
  const unknown = await r.send({ type: 'config', version: 1, base: before.config!.hash, patch: { nonsense: true } });
  t.is((await r.result(unknown)).message, 'nonsense: unknown key');

  const g = await openGatewayDb(t, r.db);
  await waitFor('p1 charged once', async () => (await g.all("SELECT 1 FROM ledger_entries WHERE meter = 'p1' AND kind = 'consumption'")).length > 0, 20_000);
  const meters = [...r.meters, { id: 'p2', bus: 'tcp1', unit: 2, profile: 'prepaid', pollMs: 250 }];
  const sentAt = Date.now();
  const id = await r.send({ type: 'config', version: 1, base: before.config!.hash, patch: { meters, credit: { accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 100_000 }, { meter: 'p2', customer: 'C-2', class: 'residential', openingBalance: 50_000 }] } } });
  const applied = await r.result(id);
  t.is(applied.status, 'applied', JSON.stringify(applied));
  t.is(applied.detail?.version, 1);
  const resultMs = Date.now() - sentAt;
  await waitFor('p2 readings at the broker', () => r.sub.readings(r.gwId).some((x) => x.meter === 'p2'), 20_000).catch((e: Error) => t.fail(`${e.message}\n${r.gw.stderr()}`));
  const p2Ms = Date.now() - sentAt;
  await waitFor('status online with version 1', () => onlineWith(r, 1), 20_000).catch((e: Error) => t.fail(`${e.message}\n${r.gw.stderr()}`));
  t.log(`command -> result ${resultMs} ms, -> first p2 reading at the broker ${p2Ms} ms, -> status version 1 ${Date.now() - sentAt} ms`);
  t.is(r.gw.proc.pid, pid);
  t.is(r.gw.proc.exitCode, null, 'the same process');
  t.is(r.status()!.startedAt, before.startedAt, 'startedAt unchanged: no restart');
  await waitFor('the config-applied event', () => r.events('config-applied').length === 1, 10_000);
  t.false(existsSync(`${r.file}.trial.json`), 'no trial left');
  const written = YAML.parse(readFileSync(r.file, 'utf8')) as { configVersion: number; meters: unknown[] };
  t.is(written.configVersion, 1, 'written back');
  t.is(written.meters.length, 2);
  t.is(r.status()!.config!.hash === before.config!.hash, false, 'a new hash');

  // p1 kept polling through the reload: every seq it stored reached the broker, no gap.
  await sleep(1500);
  const last = (await g.lastSeqs()).get('p1')!;
  await waitFor('p1 delivered', () => (seqCensus(r.sub.readings(r.gwId)).get('p1')?.size ?? 0) >= last, 20_000).catch(() => undefined);
  const seen = seqCensus(r.sub.readings(r.gwId)).get('p1')!;
  t.deepEqual(range(1, last).filter((s) => !seen.has(s)), [], 'p1: no seq missing');
  // Its poller was not restarted: the poll counter of its health messages never went back.
  const polls = r.sub.on(`${r.root}/meters/p1/health`).map((m) => m.json.polls as number);
  const pollsAtReload = polls.length;
  t.true(pollsAtReload >= 2, `p1 health messages: ${polls.join(', ')}`);
  t.deepEqual(polls.filter((n, i) => i > 0 && n < polls[i - 1]!), [], `p1's poll counter never reset: ${polls.join(', ')}`);
  const starts = r.events('gateway-started');
  t.true(starts.length <= 1, 'started once');
  const accounts = await g.all<{ meter: string }>('SELECT meter FROM ledger_accounts ORDER BY meter');
  t.deepEqual(accounts.map((a) => a.meter), ['p1', 'p2'], 'the new account is opened');
  const openings = await g.all<{ meter: string; amount: number }>("SELECT meter, amount FROM ledger_entries WHERE kind = 'adjustment' ORDER BY id");
  t.deepEqual(openings, [{ meter: 'p1', amount: 100_000 }, { meter: 'p2', amount: 50_000 }], 'one opening balance each: the old account is not opened again');
  const audit = await g.all<{ action: string; ts: number }>("SELECT action, ts FROM ledger_audit WHERE action LIKE 'config-%'");
  t.deepEqual(audit.map((a) => a.action), ['config-applied']);
  r.gw.proc.kill('SIGTERM');
  t.is(await r.gw.exited, 0, r.gw.stderr());
  // No double charge, no charge gap across the credit runtime's restart: p1's consumption entries
  // chain register to register (each from where the last one ended), before and after the reload.
  const charges = (await g.all<{ ts: number; cause: string }>("SELECT ts, cause FROM ledger_entries WHERE meter = 'p1' AND kind = 'consumption' ORDER BY id")).map((e) => ({ ts: e.ts, ...(JSON.parse(e.cause) as { fromWh: number; toWh: number }) }));
  const reloadAt = r.events('config-trial')[0]!.ts as number;
  t.true(charges.some((c) => c.ts < reloadAt) && charges.some((c) => c.ts > reloadAt), `charges before and after the reload: ${JSON.stringify(charges)}`);
  const breaks = charges.slice(1).filter((c, i) => c.fromWh !== charges[i]!.toWh);
  t.deepEqual(breaks, [], 'each charge starts where the last ended');

  // A restart keeps it: the file the gateway wrote back is what it starts from.
  const again = run(t, r.file);
  await waitFor('restarted with version 1', () => onlineWith(r, 1) && r.status()!.startedAt !== before.startedAt, 30_000).catch((e: Error) => t.fail(`${e.message}\n${again.stderr()}`));
  t.is(r.status()!.config!.hash, configHashOfFile(r.file));
  again.proc.kill('SIGTERM');
  t.is(await again.exited, 0, again.stderr());
});

serial('a config pointing to a dead broker is rolled back within the trial time; the gateway is back online with the previous version', async (t) => {
  t.timeout(120_000);
  const trialMs = 3000;
  const r = await rig(t, 'dead', trialMs);
  const before = r.status()!;
  const dead = `mqtt://127.0.0.1:${await freePort()}`;
  const id = await r.send({ type: 'config', version: 2, base: before.config!.hash, patch: { mqtt: { url: dead } } });
  t.is((await r.result(id)).status, 'applied');
  const sentAt = Date.now();
  await waitFor('offline: the gateway left for the new broker', () => r.status()?.state === 'offline', 10_000);
  await waitFor('online again with version 0', () => onlineWith(r, 0), trialMs + 10_000).catch((e: Error) => t.fail(`${e.message}\n${r.gw.stderr()}`));
  const backMs = Date.now() - sentAt;
  t.log(`back online ${backMs} ms after the command (trial ${trialMs} ms)`);
  t.true(backMs < trialMs + 5000, `back within the trial time plus a reconnect: ${backMs} ms`);
  t.is(r.status()!.config!.hash, before.config!.hash);
  await waitFor('the rollback event', () => r.events('config-rolled-back').length === 1, 10_000);
  t.regex(String(r.events('config-rolled-back')[0]!.data && (r.events('config-rolled-back')[0]!.data as { reason: string }).reason), /not connected to the broker within 3000 ms/);
  const g = await openGatewayDb(t, r.db);
  const audit = await g.all<{ action: string; cause: string }>("SELECT action, cause FROM ledger_audit WHERE action LIKE 'config-%'");
  t.deepEqual(audit, [{ action: 'config-rolled-back', cause: `command:${id}` }]);
  t.false(existsSync(`${r.file}.trial.json`));
  t.is((YAML.parse(readFileSync(r.file, 'utf8')) as { mqtt: { url: string } }).mqtt.url, r.brokerUrl, 'the file still points to the good broker');
  // Still taking commands on the good broker; this time the whole document (the head end's copy of the file, edited).
  const whole = YAML.parse(readFileSync(r.file, 'utf8')) as Record<string, unknown>;
  const again = await r.send({ type: 'config', version: 3, base: before.config!.hash, config: { ...whole, log: { level: 'warn' } } });
  t.is((await r.result(again)).status, 'applied');
  await waitFor('version 3 confirmed', () => onlineWith(r, 3), 10_000);
  await waitFor('written back', () => (YAML.parse(readFileSync(r.file, 'utf8')) as { configVersion?: number }).configVersion === 3, 10_000);
  t.deepEqual(YAML.parse(readFileSync(r.file, 'utf8')), { ...whole, log: { level: 'warn' }, configVersion: 3 }, 'the file is the document sent, with its version');
  r.gw.proc.kill('SIGTERM');
  t.is(await r.gw.exited, 0, r.gw.stderr());
});

serial('SIGKILL during the trial: the next start rolls back to the previous configuration (event and audit row)', async (t) => {
  t.timeout(120_000);
  const r = await rig(t, 'kill', 60_000);
  const before = r.status()!;
  const original = readFileSync(r.file, 'utf8');
  const id = await r.send({ type: 'config', version: 5, base: before.config!.hash, patch: { mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` } } });
  t.is((await r.result(id)).status, 'applied');
  await waitFor('the trial is on (file beside the config, gateway gone offline)', () => existsSync(`${r.file}.trial.json`) && r.status()?.state === 'offline', 10_000);
  r.gw.proc.kill('SIGKILL');
  await r.gw.exited;
  t.is(readFileSync(r.file, 'utf8'), original, 'the file was not changed during the trial');
  const again = run(t, r.file);
  await waitFor('online again with version 0', () => onlineWith(r, 0) && r.events('config-rolled-back').length === 1, 30_000).catch((e: Error) => t.fail(`${e.message}\n${again.stderr()}`));
  t.is(r.status()!.config!.hash, before.config!.hash);
  const ev = r.events('config-rolled-back')[0]!.data as { command: string; version: number; reason: string };
  t.is(ev.command, id);
  t.is(ev.version, 5);
  t.false(existsSync(`${r.file}.trial.json`));
  const g = await openGatewayDb(t, r.db);
  await waitFor('the audit row', async () => (await g.all("SELECT 1 FROM ledger_audit WHERE action = 'config-rolled-back'")).length === 1, 10_000);
  const rows = await g.all<{ cause: string }>("SELECT cause FROM ledger_audit WHERE action = 'config-rolled-back'");
  t.is(rows[0]!.cause, 'start');
  again.proc.kill('SIGTERM');
  t.is(await again.exited, 0, again.stderr());
});

serial('key rotation through a config patch: the old key is refused after it, a command signed by the new key is applied', async (t) => {
  t.timeout(120_000);
  const consolePort = await freePort();
  const r = await rig(t, 'keys', 5000, { console: { listen: `127.0.0.1:${consolePort}`, users: [{ name: 'tech', passwordHash: await hashPassword(PASSWORD, FAST) }], apiTokens: [{ name: 'cli', tokenHash: hashToken(API_TOKEN) }] } });
  const before = r.status()!;
  const next = keyPair();
  const id = await r.send({ type: 'config', version: 1, base: before.config!.hash, patch: { credit: { keys: [{ keyId: 'utility-b', publicKey: next.pub }] } } });
  t.is((await r.result(id)).status, 'applied');
  await waitFor('version 1 confirmed', () => onlineWith(r, 1), 20_000).catch((e: Error) => t.fail(`${e.message}\n${r.gw.stderr()}`));
  // The console's /api/status says the same version and hash as the status message.
  const api = (await (await fetch(`http://127.0.0.1:${consolePort}/api/status`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).json()) as { config?: { version: number; hash: string } };
  t.deepEqual(api.config, r.status()!.config);
  const old = await r.send({ type: 'topup', meter: 'p1', amount: 1000, currency: 'EUR' });
  const oldResult = await r.result(old);
  t.is(oldResult.reason, 'E_COMMAND_UNKNOWN_KEY', JSON.stringify(oldResult));
  const fresh = await r.send({ type: 'topup', meter: 'p1', amount: 1000, currency: 'EUR' }, next.priv, 'utility-b');
  const freshResult = await r.result(fresh);
  t.is(freshResult.status, 'applied', JSON.stringify(freshResult));
  const g = await openGatewayDb(t, r.db);
  const topups = await g.all<{ amount: number }>("SELECT amount FROM ledger_entries WHERE kind = 'topup'");
  t.deepEqual(topups.map((x) => x.amount), [1000], 'only the new key\'s top-up is booked');
  // A config command signed by the old key is refused too.
  const oldConfig = await r.send({ type: 'config', version: 2, base: r.status()!.config!.hash, patch: { log: { level: 'warn' } } });
  t.is((await r.result(oldConfig)).reason, 'E_COMMAND_UNKNOWN_KEY');
  r.gw.proc.kill('SIGTERM');
  t.is(await r.gw.exited, 0, r.gw.stderr());
});
