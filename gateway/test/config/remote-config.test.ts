/** Remote configuration, the parts below the process: merge patch, hash, what a change touches, the command's shape, the trial file at start. */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { configChanges, configHash, mergePatch } from '../../src/core/config/remote-config.js';
import type { JsonValue } from '../../src/core/commands/canonical-json.js';
import { checkShape } from '../../src/core/commands/shape.js';
import { readDocument, recoverTrial, trialFile } from '../../src/app/config/remote-config.js';
import { tempDir } from '../store/temp-dir.js';

// RFC 7396 Appendix A, every example.
const RFC7396: Array<[JsonValue, JsonValue, JsonValue]> = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

test('mergePatch: the examples of RFC 7396 Appendix A; the target is not changed', (t) => {
  for (const [target, patch, result] of RFC7396) {
    const before = JSON.stringify(target);
    t.deepEqual(mergePatch(target, patch), result, `${before} + ${JSON.stringify(patch)}`);
    t.is(JSON.stringify(target), before);
  }
});

test('configHash: sha256 of the canonical JSON, the same whatever the key order, different for any change', (t) => {
  const a = configHash({ gateway: { id: 'g', timezone: 'UTC' }, meters: [] });
  t.regex(a, /^sha256:[0-9a-f]{64}$/);
  t.is(configHash({ meters: [], gateway: { timezone: 'UTC', id: 'g' } }), a);
  t.not(configHash({ gateway: { id: 'g', timezone: 'UTC' }, meters: [{}] }), a);
});

test('configChanges: section by section; restart-only sections named', (t) => {
  const base = { gateway: { id: 'g', timezone: 'UTC' }, storage: { path: 'a.db' }, mqtt: { url: 'mqtt://x' }, buses: [], meters: [], boards: [], log: { level: 'info' } };
  t.deepEqual(configChanges(base, { ...base }), { restartOnly: [], mqtt: false, acquisition: false, credit: false, meterClocks: false, console: false, log: false, frozen: false, anomaly: false, rating: false });
  const c = configChanges(base, { ...base, mqtt: { url: 'mqtt://y' }, storage: { path: 'b.db' }, gateway: { id: 'h', timezone: 'UTC' } });
  t.deepEqual(c.restartOnly, ['storage', 'gateway.id']);
  t.true(c.mqtt);
  const m = configChanges(base, { ...base, meters: [{ id: 'm1' }] });
  t.true(m.acquisition && m.credit && m.meterClocks && m.frozen && m.anomaly);
  t.false(m.rating);
  t.false(m.mqtt);
});

test('config command shape: version, base hash, exactly one of config or patch', (t) => {
  const fields = { id: 'c1', type: 'config', issuedAt: 1, expiresAt: 2, keyId: 'k', version: 3, base: `sha256:${'a'.repeat(64)}` };
  const ok = checkShape({ ...fields, patch: { log: { level: 'warn' } } }, { requireSig: false });
  t.like(ok, { type: 'config', version: 3, patch: { log: { level: 'warn' } } });
  t.throws(() => checkShape({ ...fields }, { requireSig: false }), { message: /^config: exactly one of config/ });
  t.throws(() => checkShape({ ...fields, patch: {}, config: {} }, { requireSig: false }), { message: /^config: exactly one of config/ });
  t.throws(() => checkShape({ ...fields, base: 'abc', patch: {} }, { requireSig: false }), { message: /^base: must be 'sha256:'/ });
  t.throws(() => checkShape({ ...fields, version: 0, patch: {} }, { requireSig: false }), { message: /^version: must be a positive integer/ });
  t.throws(() => checkShape({ ...fields, patch: [] }, { requireSig: false }), { message: /^patch: must be an object/ });
});

function trial(dir: string, state: 'trial' | 'confirmed') {
  const file = join(dir, 'gw.yaml');
  const previous = { gateway: { id: 'g' }, configVersion: 1 };
  const next = { gateway: { id: 'g' }, configVersion: 2, log: { level: 'warn' } };
  writeFileSync(file, YAML.stringify(previous));
  writeFileSync(trialFile(file), JSON.stringify({ state, command: 'c9', startedAt: 0, trialMs: 1000, previous: { version: 1, hash: configHash(previous), doc: previous }, next: { version: 2, hash: configHash(next), doc: next } }));
  return { file, previous, next };
}

test('recoverTrial: a trial left by a crash is rolled back (file keeps the previous), a confirmed one is written; the trial file goes', (t) => {
  const dir = tempDir(t);
  const a = trial(dir, 'trial');
  writeFileSync(a.file, YAML.stringify(a.next)); // even if the new one had reached the file
  const r = recoverTrial(a.file)!;
  t.like(r, { outcome: 'rolled-back', command: 'c9', version: 2, active: { version: 1, hash: configHash(a.previous) } });
  t.deepEqual(readDocument(a.file), a.previous);
  t.false(existsSync(trialFile(a.file)));
  t.is(recoverTrial(a.file), undefined, 'nothing left to do');

  const b = trial(dir, 'confirmed');
  t.like(recoverTrial(b.file), { outcome: 'confirmed', active: { version: 2 } });
  t.deepEqual(readDocument(b.file), b.next);
  t.regex(readFileSync(b.file, 'utf8'), /^# Written by prepaid-gateway/);
});
