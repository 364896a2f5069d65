/**
 * The scan over an RTU-over-TCP converter (`--path tcp://host:port`): one line setting, the units
 * behind the converter found and named, and a config snippet with an rtu-over-tcp bus that the
 * config loader takes.
 */
import test from 'ava';
import YAML from 'yaml';
import { encodeRtu } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { configSnippet, parseTcpPath, scan, type FoundMeter } from '../../src/adapters/scan/index.js';
import { parseConfig } from '../../src/app/config/load-config.js';
import { FakeSlave } from './fake-slave.js';

test('parseTcpPath', (t) => {
  t.deepEqual(parseTcpPath('tcp://10.0.0.9:4196'), { host: '10.0.0.9', port: 4196 });
  t.is(parseTcpPath('/dev/ttyUSB0'), undefined);
  t.is(parseTcpPath('tcp://host:99999'), undefined);
});

test('scan tcp://: finds the meter behind the converter at one line setting; the snippet loads', async (t) => {
  t.timeout(60_000);
  const sim = new Simulator({ profile: 'sdm120', meters: 2, seed: 'scan-tcp' });
  const slave = await new FakeSlave('rtu', (r) => {
    if (r.unit !== 2) return; // only unit 2 is on the line behind the converter
    const rep = sim.bus.handleTcp(r.unit, r.pdu);
    if (rep) r.send(encodeRtu(rep.unit, rep.pdu));
  }).listen();
  t.teardown(() => slave.close());
  const path = `tcp://127.0.0.1:${slave.port}`;
  const found: FoundMeter[] = [];
  const lines = new Set<string>();
  for await (const ev of scan({ path, bauds: [9600, 19200], parities: ['none', 'even'], units: [1, 2, 3], protocol: 'modbus', timeoutMs: 150 })) {
    if (ev.type === 'found') found.push(ev.meter);
    if (ev.type === 'progress') lines.add(`${ev.line.baudRate}/${ev.line.parity}`);
  }
  t.deepEqual([...lines], ['9600/none'], 'one line setting over TCP');
  t.is(found.length, 1);
  t.like(found[0], { unit: 2, profile: 'sdm120' });
  const snippet = configSnippet(found, path);
  t.regex(snippet, /type: rtu-over-tcp, host: 127\.0\.0\.1, port: \d+/);
  const cfg = parseConfig(YAML.stringify({ gateway: { id: 'g' }, storage: { path: '/tmp/x.db' }, mqtt: { url: 'mqtt://127.0.0.1:1' }, ...YAML.parse(snippet) }), 'snippet');
  t.is(cfg.buses[0]!.type, 'rtu-over-tcp');
});
