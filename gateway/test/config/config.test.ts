import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { PrepaidError } from '@prepaid-edge/protocols';
import { parseConfig, jsonPointerToPath } from '../../src/app/config/load-config.js';

const base = `
gateway: { id: gw-01 }
storage: { path: ./data/gateway.db }
mqtt: { url: mqtt://127.0.0.1:1883, topicPrefix: prepaid-edge }
buses:
  - { id: bus1, type: rtu, path: /dev/ttyUSB0, baudRate: 9600, parity: none }
  - { id: bus2, type: tcp, host: 127.0.0.1, port: 5020 }
meters:
  - { id: m1, bus: bus1, unit: 1, profile: sdm630, pollMs: 1000 }
  - { id: m2, bus: bus2, unit: 1, profile: sdm120 }
`;

test('the issue example parses, with defaults filled and the result frozen', (t) => {
  const c = parseConfig(base);
  t.is(c.gateway.id, 'gw-01');
  t.is(c.meters[1]!.pollMs, 1000);
  t.is(c.meters[0]!.retries, 1);
  t.is(c.mqtt.clientId, 'prepaid-gw-gw-01');
  t.is(c.storage.synchronous, 'full');
  t.true(Object.isFrozen(c.meters[0]));
});

test('--mqtt and --db override the file', (t) => {
  const c = parseConfig(base, 'x', { mqttUrl: 'mqtts://broker:8883', dbPath: '/tmp/x.db' });
  t.is(c.mqtt.url, 'mqtts://broker:8883');
  t.is(c.storage.path, '/tmp/x.db');
});

const bad: Array<[string, (s: string) => string, string, RegExp]> = [
  ['unit out of range', (s) => s.replace('unit: 1, profile: sdm630', 'unit: 300, profile: sdm630'), 'meters[0].unit', /<= 247/],
  ['unknown bus', (s) => s.replace('bus: bus2', 'bus: bus9'), 'meters[1].bus', /no bus with id "bus9"/],
  ['unknown profile', (s) => s.replace('profile: sdm120', 'profile: sdm999'), 'meters[1].profile', /unknown profile "sdm999"/],
  ['unknown key', (s) => s.replace('pollMs: 1000', 'pollMs: 1000, polMs: 5'), 'meters[0].polMs', /unknown key/],
  ['bad parity', (s) => s.replace('parity: none', 'parity: mark'), 'buses[0].parity', /one of "none", "even", "odd"/],
  ['tcp bus without port', (s) => s.replace(', port: 5020', ''), 'buses[1].port', /required/],
  ['duplicate meter id', (s) => s.replace('id: m2', 'id: m1'), 'meters[1].id', /duplicate meter id/],
  ['gateway id with a slash', (s) => s.replace('gw-01', 'gw/01'), 'gateway.id', /pattern/],
  ['bad time zone', (s) => s.replace('{ id: gw-01 }', '{ id: gw-01, timezone: Mars/Olympus }'), 'gateway.timezone', /IANA/],
  ['two meters on one address', (s) => s.replace('bus: bus2, unit: 1', 'bus: bus1, unit: 1'), 'meters[1].unit', /same bus and address/],
  ['broken YAML', (s) => s + '\n  - {', '(file)', /not valid YAML/],
  // A typo that makes a tag (`!path:`) is refused with its line, not a process warning and a lost key.
  ['an unresolved YAML tag', (s) => s.replace('type: rtu, path:', 'type: rtu,!path:'), '(file)', /^gw\.yaml:6:27: not valid YAML: Unresolved tag: !path:/],
];
for (const [name, mutate, path, message] of bad) {
  test(`bad config: ${name} names ${path}`, (t) => {
    const e = t.throws(() => parseConfig(mutate(base), 'gw.yaml'), { instanceOf: PrepaidError });
    t.is(e?.code, 'E_CONFIG_INVALID');
    t.is(e?.context.path, path);
    t.regex(e!.message, message);
    t.regex(e!.message, /^gw\.yaml/);
  });
}

test('json pointers become config paths', (t) => {
  t.is(jsonPointerToPath('/meters/2/unit'), 'meters[2].unit');
  t.is(jsonPointerToPath(''), '');
});

test('every shipped example config is valid', (t) => {
  const dir = new URL('../../../examples/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.true(files.length > 0);
  for (const f of files) t.notThrows(() => parseConfig(readFileSync(new URL(f, dir), 'utf8'), f), f);
});

test('lingerMs and slowPollMs: defaults 5 s and 15 min, bounds checked with their path', (t) => {
  const c = parseConfig(base);
  t.is(c.mqtt.lingerMs, 5000);
  t.is(c.meters[0]!.slowPollMs, 900_000);
  t.is(parseConfig(base.replace('topicPrefix: prepaid-edge', 'topicPrefix: prepaid-edge, lingerMs: 0')).mqtt.lingerMs, 0);
  const e = t.throws(() => parseConfig(base.replace('pollMs: 1000 }', 'pollMs: 1000, slowPollMs: 10 }')));
  t.is((e as PrepaidError).context.path, 'meters[0].slowPollMs');
  const e2 = t.throws(() => parseConfig(base.replace('topicPrefix: prepaid-edge', 'topicPrefix: prepaid-edge, lingerMs: -1')));
  t.is((e2 as PrepaidError).context.path, 'mqtt.lingerMs');
});
