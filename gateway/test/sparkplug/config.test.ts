import test from 'ava';
import { PrepaidError } from '@prepaid-edge/protocols';
import { parseConfig } from '../../src/app/config/load-config.js';

const base = `
gateway: { id: gw-01 }
storage: { path: ./data/gateway.db }
mqtt: { url: mqtt://127.0.0.1:1883 }
buses:
  - { id: bus1, type: tcp, host: 127.0.0.1, port: 5020 }
meters:
  - { id: m1, bus: bus1, unit: 1, profile: sdm630 }
`;

test('sparkplug is optional; when given it is read with its ids and deadbands', (t) => {
  t.is(parseConfig(base).sparkplug, undefined);
  const c = parseConfig(base + 'sparkplug: { groupId: site-a, edgeNodeId: gw-01, primaryHostId: scada, deadbands: { power: 10 } }\n');
  t.deepEqual({ ...c.sparkplug, deadbands: { ...c.sparkplug!.deadbands } }, { groupId: 'site-a', edgeNodeId: 'gw-01', primaryHostId: 'scada', deadbands: { power: 10 } });
});

const bad: Array<[string, string, string, RegExp]> = [
  ['missing edgeNodeId', 'sparkplug: { groupId: a }', 'sparkplug.edgeNodeId', /required/],
  ['group id with a slash', 'sparkplug: { groupId: a/b, edgeNodeId: n }', 'sparkplug.groupId', /pattern/],
  ['edge node id with a wildcard', 'sparkplug: { groupId: a, edgeNodeId: "n+" }', 'sparkplug.edgeNodeId', /pattern/],
  ['unknown key', 'sparkplug: { groupId: a, edgeNodeId: n, group: x }', 'sparkplug.group', /unknown key/],
  ['negative deadband', 'sparkplug: { groupId: a, edgeNodeId: n, deadbands: { power: -1 } }', 'sparkplug.deadbands.power', />= 0/],
  ['MQTT version 3', 'sparkplug: { groupId: a, edgeNodeId: n, mqttVersion: 3 }', 'sparkplug.mqttVersion', /one of 4, 5/],
  ['deadband of an unknown metric', 'sparkplug: { groupId: a, edgeNodeId: n, deadbands: { powr: 1 } }', 'sparkplug.deadbands.powr', /canonical measurement/],
];
for (const [name, yaml, path, message] of bad) {
  test(`bad sparkplug config: ${name} names ${path}`, (t) => {
    const e = t.throws(() => parseConfig(base + yaml + '\n', 'gw.yaml'), { instanceOf: PrepaidError });
    t.is(e?.code, 'E_CONFIG_INVALID');
    t.is(e?.context.path, path);
    t.regex(e!.message, message);
  });
}
