/**
 * The install a technician runs (`npm install` on Node 20.19+) prints no EBADENGINE and carries one
 * serialport: checked on the committed package-lock.json, and the check on a lock with each fault.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockProblems, packageName, type Lock, type RootManifest } from './lock-check.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as T;

test('package-lock.json: one serialport major, no engines.node excluding the README Node, every install script approved', (t) => {
  const lock = readJson<Lock>('package-lock.json');
  const root = readJson<RootManifest>('package.json');
  t.is(root.engines?.node, '>=20.19');
  t.deepEqual(lockProblems(lock, root), []);
  const serialports = Object.entries(lock.packages).filter(([k]) => packageName(k) === 'serialport');
  t.is(serialports.length, 1, 'serialport once, hoisted: johnny-five, firmata and modbus-serial share it');
  t.regex(serialports[0]![1].version!, /^13\./);
});

test('johnny-five never gets a serialport of its own: its Firmata route is firmata-io on ours', (t) => {
  const lock = readJson<Lock>('package-lock.json');
  const nested = Object.keys(lock.packages).filter((k) => /node_modules\/(johnny-five|firmata)\/node_modules\//.test(k) && k.includes('serialport'));
  t.deepEqual(nested, []);
  t.truthy(lock.packages['node_modules/firmata-io'], 'firmata-io is installed');
  t.falsy(lock.packages['node_modules/@serialport/bindings'], 'no serialport 8 native bindings');
});

test('the check names each fault: a second serialport major, an engine that excludes Node 20.19, an unapproved install script', (t) => {
  const lock: Lock = {
    packages: {
      '': { version: '0.1.0', hasInstallScript: true },
      gateway: { version: '0.1.0' },
      'node_modules/@prepaid-edge/gateway': { link: true },
      'node_modules/serialport': { version: '13.0.0', engines: { node: '>=20.0.0' } },
      'node_modules/johnny-five/node_modules/serialport': { version: '8.0.8', hasInstallScript: true },
      'node_modules/@serialport/stream': { version: '13.0.0' },
      'node_modules/johnny-five/node_modules/@serialport/stream': { version: '8.0.6' },
      'node_modules/cookie': { version: '2.0.2', engines: { node: '>=22' } },
      'node_modules/sqlite3': { version: '6.0.1', hasInstallScript: true },
      'node_modules/@serialport/bindings-cpp': { version: '13.0.1', hasInstallScript: true },
    },
  };
  const root: RootManifest = { engines: { node: '>=20.19' }, allowScripts: { sqlite3: true, '@serialport/bindings-cpp@^13.0.0': true, 'serialport@8.0.8': false } };
  t.deepEqual(lockProblems(lock, root).sort(), [
    '@serialport/stream: 2 versions (13.0.0, 8.0.6), want one',
    'cookie@2.0.2: engines.node \'>=22\' excludes Node 20.19.0 (EBADENGINE)',
    'serialport: 2 majors in the tree (13.0.0, 8.0.8), want one',
    'serialport@8.0.8: install script not approved in allowScripts',
  ]);
  t.deepEqual(lockProblems(lock, { engines: { node: '>=22' }, allowScripts: { '*': false, sqlite3: true, '@serialport/bindings-cpp': true, serialport: true } }).filter((p) => p.includes('engines')), []);
});
