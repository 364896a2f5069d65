/**
 * RemoteConfig's decisions on a ManualClock, with a stand-in for the gateway (what it reloads and
 * its uplink's connected state): what is refused before anything changes, one trial at a time, a
 * trial confirmed by a connection, rolled back when none comes in time. The real process, broker and
 * meters are in test/e2e/remote-config.test.ts.
 */
import test, { type ExecutionContext } from 'ava';
import { EventEmitter } from 'node:events';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { ManualClock } from '@prepaid-edge/protocols';
import { parseConfig } from '../../src/app/config/load-config.js';
import { RemoteConfig, readDocument, trialFile, type ReloadableGateway } from '../../src/app/config/remote-config.js';
import type { ConfigCommand } from '../../src/core/commands/shape.js';
import type { GatewayConfig } from '../../src/core/config/gateway-config.js';
import type { NewEvent } from '../../src/core/model.js';
import type { Uplink } from '../../src/adapters/uplink/index.js';
import { quietLog } from '../uplink/helpers.js';
import { tempDir } from '../store/temp-dir.js';
import { FLAT, STRICT } from '../e2e/one-prepaid-meter.js';

const pub = createPublicKey(generateKeyPairSync('ed25519').privateKey).export({ format: 'pem', type: 'spki' }).toString();

function setup(t: ExecutionContext) {
  const dir = tempDir(t);
  const file = join(dir, 'gw.yaml');
  const doc = {
    gateway: { id: 'gw' },
    storage: { path: join(dir, 'gw.db') },
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    remoteConfig: { trialMs: 5000 },
    buses: [{ id: 'b', type: 'tcp', host: '127.0.0.1', port: 502 }],
    meters: [{ id: 'p1', bus: 'b', unit: 1, profile: 'prepaid' }],
    credit: { tariffs: { flat: FLAT }, policies: { strict: STRICT }, classes: { r: { tariff: 'flat', policy: 'strict' } }, accounts: [{ meter: 'p1', customer: 'C', class: 'r' }], keys: [{ keyId: 'k', publicKey: pub }] },
  };
  writeFileSync(file, YAML.stringify(doc));
  const clock = new ManualClock({ now: Date.UTC(2026, 0, 1), monotonic: 0 });
  const shown: number[] = [];
  const link = Object.assign(new EventEmitter(), { connected: true, shown, state: () => ({ connected: link.connected }), setConfig: (c: { version: number }) => void shown.push(c.version) });
  const events: NewEvent[] = [];
  const audits: string[] = [];
  const reloads: number[] = [];
  const gw: ReloadableGateway & { config: GatewayConfig } = {
    config: parseConfig(YAML.stringify(doc), file),
    clock,
    log: quietLog(),
    link: link as unknown as Uplink,
    reconfigure: async (next) => {
      gw.config = next;
      reloads.push(next.configVersion ?? 0);
    },
    raise: (e) => void events.push(e),
    audit: async (a) => void audits.push(a.action),
  };
  const rc = new RemoteConfig(gw, { file, overrides: {} });
  const cmd = (over: Partial<ConfigCommand>): ConfigCommand => ({ id: `c${Math.random()}`, type: 'config', issuedAt: 0, expiresAt: 1, keyId: 'k', version: 1, base: rc.active.hash, patch: { log: { level: 'warn' } }, ...over });
  return { file, doc, clock, link, events, audits, reloads, gw, rc, cmd };
}

test('refused before anything changes: another base, a stale version, a restart-only section, no command key left, a bad field', async (t) => {
  const { rc, cmd, file, reloads } = setup(t);
  const reason = async (c: ConfigCommand) => {
    const r = await rc.command(c);
    return r.ok ? 'ok' : `${r.reason} ${r.message}`;
  };
  t.regex(await reason(cmd({ base: `sha256:${'1'.repeat(64)}` })), /^E_CONFIG_BASE base: /);
  t.regex(await reason(cmd({ version: 0 })), /^E_COMMAND_EXPIRED version: 0 is not newer than the active version 0: stale/);
  t.regex(await reason(cmd({ patch: { storage: { path: '/elsewhere.db' } } })), /^E_CONFIG_INVALID storage: cannot change while the gateway runs/);
  t.regex(await reason(cmd({ patch: { credit: { keys: [] } } })), /^E_CONFIG_INVALID credit\.keys/);
  t.regex(await reason(cmd({ patch: { meters: [{ id: 'p1', bus: 'nope', unit: 1, profile: 'prepaid' }] } })), /^E_CONFIG_INVALID meters\[0\]\.bus: no bus with id "nope"/);
  t.false(existsSync(trialFile(file)), 'no trial started');
  t.deepEqual(reloads, []);
});

test('one trial at a time; connected at once (same broker): confirmed, written back, status shows it', async (t) => {
  const { rc, cmd, clock, link, events, audits, reloads, file } = setup(t);
  const first = await rc.command(cmd({ version: 2 }));
  t.true(first.ok);
  t.true(existsSync(trialFile(file)), 'the trial is persisted before anything changes');
  const second = await rc.command(cmd({ version: 3 }));
  t.like(second, { ok: false, reason: 'E_CONFIG_BUSY' });
  if (first.ok) first.apply();
  await clock.advanceAsync(0);
  t.deepEqual(reloads, [2]);
  t.deepEqual(events.map((e) => e.type), ['config-trial', 'config-applied']);
  t.deepEqual(audits, ['config-applied']);
  t.deepEqual(link.shown, [2]);
  t.is(readDocument(file).configVersion, 2);
  t.false(existsSync(trialFile(file)));
  t.is(rc.active.version, 2);
  t.true((await rc.command(cmd({ version: 3 }))).ok, 'the next one is taken after the confirmation');
});

test('not connected within trialMs: rolled back to the previous configuration; a connection just in time confirms', async (t) => {
  const { rc, cmd, clock, link, events, audits, reloads, file, gw } = setup(t);
  const before = rc.active;
  const original = gw.config;
  link.connected = false;
  const p = await rc.command(cmd({ version: 4, patch: { mqtt: { url: 'mqtt://127.0.0.1:9' } } }));
  if (p.ok) p.apply();
  await clock.advanceAsync(4999);
  t.deepEqual(events.map((e) => e.type), ['config-trial'], 'still on trial 1 ms before the end');
  t.deepEqual(rc.info().trial?.version, 4);
  await clock.advanceAsync(1);
  t.deepEqual(reloads, [4, 0], 'applied, then the previous one again');
  t.is(gw.config, original);
  t.deepEqual(events.map((e) => e.type), ['config-trial', 'config-rolled-back']);
  t.like(events[1]!.data, { version: 4, active: 0, reason: 'not connected to the broker within 5000 ms' });
  t.deepEqual(audits, ['config-rolled-back']);
  t.deepEqual(rc.active, before);
  t.false(existsSync(trialFile(file)));
  t.is(readDocument(file).configVersion, undefined, 'the file was never changed');

  const q = await rc.command(cmd({ version: 5, patch: { mqtt: { url: 'mqtt://127.0.0.1:9' } } }));
  if (q.ok) q.apply();
  await clock.advanceAsync(4000);
  link.emit('connected');
  await clock.advanceAsync(2000);
  t.is(events.at(-1)!.type, 'config-applied');
  t.is(rc.active.version, 5);
});
