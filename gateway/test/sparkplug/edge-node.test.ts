/**
 * The edge node against a real mosquitto, decoded with Eclipse Tahu's decoder. Test names carry
 * the Sparkplug TCK edge-node areas they cover (session establishment, session termination, send
 * data, receive command); the TCK itself needs a JVM and HiveMQ.
 */
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { startMosquitto, type Mosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { EdgeNode, bdSeqPath, readBdSeq } from '../../src/adapters/sparkplug/index.js';
import { tempDir } from '../store/temp-dir.js';
import { mqttCfg, quietLog, waitFor } from '../uplink/helpers.js';
import { encodeTahu, num, startHost } from './host.js';

const test = testWith(['mosquitto']);
const GROUP = 'site-a';
const T0 = 1_763_800_000_000;

async function rig(t: ExecutionContext, node: string, mqttOver: Parameters<typeof mqttCfg>[1] = {}, broker?: Mosquitto, dir = tempDir(t)) {
  broker ??= await startMosquitto(t, { extraConf: ['log_type debug'] });
  const host = await startHost(t, broker.url, GROUP);
  const file = bdSeqPath(join(dir, 'gw.db'));
  const make = (primaryHostId?: string, maxHistorical?: number, commands?: boolean, mqttVersion?: 4 | 5) => {
    const n = new EdgeNode({
      ...(maxHistorical ? { maxHistorical } : {}),
      ...(commands ? { commands } : {}),
      mqtt: mqttCfg(broker.url, { clientId: `gw-${node}`, ...mqttOver }),
      sparkplug: { groupId: GROUP, edgeNodeId: node, deadbands: { power: 10 }, ...(primaryHostId ? { primaryHostId } : {}), ...(mqttVersion ? { mqttVersion } : {}) },
      bdSeqFile: file,
      version: '9.9.9',
      log: quietLog(),
    });
    t.teardown(() => n.stop());
    return n;
  };
  return { broker, host, file, make, dir };
}

const reading = (meter: string, i: number, power: number) => ({ meter, ts: T0 + i * 1000, values: { energyImport: 5000 + i, power, voltageL1: 230 } });

test('TCK session establishment: NCMD/DCMD subscribed before NBIRTH; NBIRTH seq 0 with bdSeq, Node Control/Rebirth false; one DBIRTH per meter with units', async (t) => {
  const { broker, host, make } = await rig(t, 'n-est');
  const n = make();
  n.reading(reading('m1', 0, 100));
  n.reading(reading('m2', 0, 200));
  n.start();
  await waitFor('NBIRTH and 2 DBIRTHs', () => host.of('NBIRTH').length === 1 && host.of('DBIRTH').length === 2);
  const log = broker.log();
  const sub = log.search(/Received SUBSCRIBE from gw-n-est-spb/);
  const ncmd = log.search(/spBv1\.0\/site-a\/NCMD\/n-est/);
  const dcmd = log.search(/spBv1\.0\/site-a\/DCMD\/n-est\/#/);
  const birth = log.search(/Received PUBLISH from gw-n-est-spb .*NBIRTH/);
  t.true(sub >= 0 && ncmd > sub && dcmd > sub && birth > ncmd && birth > dcmd, 'subscriptions precede NBIRTH in the broker log');
  const nb = host.of('NBIRTH')[0]!;
  t.is(nb.seq, 0);
  t.is(nb.bdSeq, 0);
  t.is(nb.retain, false);
  t.is(nb.metric('Node Control/Rebirth')!.type, 'Boolean');
  t.is(nb.metric('Node Control/Rebirth')!.value, false);
  t.is(n.state().bdSeq, 0);
  const [d1, d2] = host.of('DBIRTH');
  t.deepEqual([d1!.device, d2!.device], ['m1', 'm2']);
  t.deepEqual([d1!.seq, d2!.seq], [1, 2]);
  t.deepEqual((d1!.payload.metrics ?? []).map((m) => [m.name, m.type, m.properties?.['engUnit']?.value]), [
    ['energyImport', 'Int64', 'Wh'],
    ['power', 'Double', 'W'],
    ['voltageL1', 'Double', 'V'],
  ]);
});

test('TCK send data: DDATA by exception with per-metric deadbands; seq shared by DBIRTH and DDATA, 0..255 wrapping', async (t) => {
  t.timeout(60_000);
  const { host, make } = await rig(t, 'n-data');
  const n = make();
  n.start();
  await waitFor('NBIRTH', () => host.of('NBIRTH').length === 1);
  n.reading(reading('m1', 0, 100)); // DBIRTH, seq 1
  n.reading({ meter: 'm1', ts: T0 + 1, values: { energyImport: 5000, power: 105, voltageL1: 230.1 } }); // nothing moved a deadband
  for (let i = 1; i <= 300; i++) n.reading(reading('m1', i, 100 + (i % 2) * 20)); // energy and power move every time
  await waitFor('300 DDATA', () => host.of('DDATA', 'm1').length === 300);
  const dd = host.of('DDATA', 'm1');
  t.deepEqual((dd[0]!.payload.metrics ?? []).map((m) => m.name), ['energyImport', 'power']);
  t.is(num(dd[0]!.payload.metrics![0]!.value), 5001);
  t.is(dd[0]!.payload.metrics![0]!.properties, undefined, 'units only on births');
  t.true(dd.every((m) => m.namesOnWire.every((n) => n === undefined)), 'DDATA carries aliases, no names');
  const birthAliases = (host.of('DBIRTH')[0]!.payload.metrics ?? []).map((m) => num(m.alias));
  t.is(new Set(birthAliases).size, birthAliases.length, 'DBIRTH: one alias per metric');
  t.true((dd[0]!.payload.metrics ?? []).every((m) => birthAliases.includes(num(m.alias))));
  const seqs = [host.of('NBIRTH')[0]!.seq, host.of('DBIRTH')[0]!.seq, ...dd.map((m) => m.seq)];
  t.deepEqual(seqs, seqs.map((_, i) => i % 256));
  t.true(seqs.includes(255) && seqs.lastIndexOf(0) > 0, 'wrapped');
  t.is(n.state().published.ddata, 300);
});

test('TCK receive command: NCMD Node Control/Rebirth -> NBIRTH (seq 0, same bdSeq) and every DBIRTH again; DCMD is rejected', async (t) => {
  const { host, make } = await rig(t, 'n-cmd');
  const n = make();
  const rejected: string[] = [];
  n.on('rejected', (topic: string) => rejected.push(topic));
  n.start();
  await waitFor('NBIRTH', () => host.of('NBIRTH').length === 1);
  n.reading(reading('m1', 0, 100));
  n.reading(reading('m2', 0, 100));
  n.reading(reading('m1', 1, 300));
  await waitFor('DDATA', () => host.of('DDATA').length === 1);
  host.client.publish('spBv1.0/site-a/NCMD/n-cmd', encodeTahu({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }), { qos: 0 });
  await waitFor('second NBIRTH and DBIRTHs', () => host.of('NBIRTH').length === 2 && host.of('DBIRTH').length === 4);
  const nb = host.of('NBIRTH')[1]!;
  t.is(nb.seq, 0);
  t.is(nb.bdSeq, host.of('NBIRTH')[0]!.bdSeq);
  const reborn = host.of('DBIRTH').slice(2);
  t.deepEqual(reborn.map((m) => [m.device, m.seq]), [['m1', 1], ['m2', 2]]);
  t.is(reborn[0]!.metric('power')!.value, 300, 'DBIRTH carries the latest values');
  host.client.publish('spBv1.0/site-a/DCMD/n-cmd/m1', encodeTahu({ timestamp: Date.now(), metrics: [{ name: 'relay', type: 'Boolean', value: false }] }), { qos: 0 });
  await waitFor('DCMD rejected', () => rejected.length === 1);
  t.is(rejected[0], 'spBv1.0/site-a/DCMD/n-cmd/m1');
});

test('TCK session establishment: bdSeq is persisted and +1 on every new connection (broker restart, process restart); seq restarts at 0', async (t) => {
  t.timeout(60_000);
  // The node reconnects after the host has (100 ms): births are QoS 0 and a host that is away misses them.
  const { broker, host, file, make } = await rig(t, 'n-bd', { reconnectMinMs: 1000, reconnectMaxMs: 1500 });
  const n = make();
  n.start();
  await waitFor('NBIRTH', () => host.of('NBIRTH').length === 1);
  await broker.restart();
  await waitFor('NBIRTH after broker restart', () => host.of('NBIRTH').length === 2, 30_000);
  await n.stop();
  t.is(readBdSeq(file), 1);
  const again = make();
  again.start();
  await waitFor('NBIRTH of a new process', () => host.of('NBIRTH').length === 3);
  t.deepEqual(host.of('NBIRTH').map((m) => [m.bdSeq, m.seq]), [[0, 0], [1, 0], [2, 0]]);
});

test('TCK session termination: a clean stop publishes NDEATH (bdSeq of the NBIRTH, no seq) before disconnecting', async (t) => {
  const { host, make } = await rig(t, 'n-stop');
  const n = make();
  n.start();
  await waitFor('NBIRTH', () => host.of('NBIRTH').length === 1);
  await n.stop();
  await waitFor('NDEATH', () => host.of('NDEATH').length === 1);
  const d = host.of('NDEATH')[0]!;
  t.is(d.bdSeq, host.of('NBIRTH')[0]!.bdSeq);
  t.is(d.seq, null);
  t.deepEqual((d.payload.metrics ?? []).map((m) => m.name), ['bdSeq']);
});

test('TCK send data: a silent meter gets DDEATH (seq +1, no metrics) and a DBIRTH when it answers again; no DBIRTH for it on rebirth meanwhile', async (t) => {
  const { host, make } = await rig(t, 'n-dead');
  const n = make();
  n.start();
  await waitFor('NBIRTH', () => host.of('NBIRTH').length === 1);
  n.reading(reading('m1', 0, 100));
  n.reading(reading('m2', 0, 100));
  n.event({ ts: T0 + 5000, type: 'comm-lost', meter: 'm2' });
  n.event({ ts: T0 + 6000, type: 'comm-lost', meter: 'm2' });
  await waitFor('DDEATH', () => host.of('DDEATH', 'm2').length === 1);
  const dd = host.of('DDEATH', 'm2')[0]!;
  t.is(dd.seq, 3);
  t.deepEqual(dd.payload.metrics ?? [], []);
  host.client.publish('spBv1.0/site-a/NCMD/n-dead', encodeTahu({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }), { qos: 0 });
  await waitFor('rebirth', () => host.of('NBIRTH').length === 2 && host.of('DBIRTH', 'm1').length === 2);
  n.event({ ts: T0 + 7000, type: 'comm-restored', meter: 'm2' });
  n.reading(reading('m2', 8, 150));
  await waitFor('DBIRTH of the returned meter', () => host.of('DBIRTH', 'm2').length === 2);
  t.is(host.of('DBIRTH', 'm2')[1]!.metric('power')!.value, 150);
  t.is(host.of('DDEATH').length, 1, 'one DDEATH for repeated comm-lost');
  t.deepEqual(host.messages.filter((m) => m.device === 'm2').map((m) => m.type), ['DBIRTH', 'DDEATH', 'DBIRTH']);
});

test('TCK session establishment with a primary host: births wait for STATE online; STATE offline -> NDEATH and a new connection (bdSeq + 1) that waits again; stale STATE ignored', async (t) => {
  t.timeout(60_000);
  const { host, make } = await rig(t, 'n-state', { reconnectMinMs: 100, reconnectMaxMs: 200 });
  const state = (online: boolean, timestamp: number) => host.client.publishAsync('spBv1.0/STATE/scada', JSON.stringify({ online, timestamp }), { qos: 1, retain: true });
  t.teardown(() => host.client.publishAsync('spBv1.0/STATE/scada', '', { qos: 1, retain: true }));
  await state(false, 1000);
  const n = make('scada');
  n.start();
  await waitFor('connected', () => n.state().connected);
  await new Promise((r) => setTimeout(r, 500));
  t.is(host.of('NBIRTH').length, 0, 'no birth while the primary host is offline');
  await state(true, 2000);
  await waitFor('NBIRTH after STATE online', () => host.of('NBIRTH').length === 1);
  t.is(host.of('NBIRTH')[0]!.bdSeq, 0);
  await state(false, 3000);
  await waitFor('NDEATH after STATE offline', () => host.of('NDEATH').length === 1);
  t.is(host.of('NDEATH')[0]!.bdSeq, 0);
  await waitFor('reconnected with the next bdSeq', () => n.state().connected && n.state().bdSeq === 1, 20_000);
  await state(true, 2500); // older than the offline one: stale
  await new Promise((r) => setTimeout(r, 500));
  t.is(host.of('NBIRTH').length, 1, 'a stale STATE online does not trigger births');
  await state(true, 4000);
  await waitFor('NBIRTH of the new connection', () => host.of('NBIRTH').length === 2);
  t.deepEqual(host.of('NBIRTH').map((m) => [m.bdSeq, m.seq]), [[0, 0], [1, 0]]);
});

test('TCK send data, store and forward: readings during an outage follow the new births as historical DDATA, in order, bounded', async (t) => {
  t.timeout(60_000);
  const { broker, host, make } = await rig(t, 'n-hist', { reconnectMinMs: 1000, reconnectMaxMs: 1500 });
  const n = make(undefined, 3);
  n.start();
  await waitFor('NBIRTH', () => host.of('NBIRTH').length === 1);
  n.reading(reading('m1', 0, 100));
  await waitFor('DBIRTH', () => host.of('DBIRTH', 'm1').length === 1);
  await broker.stop();
  await waitFor('disconnected', () => !n.state().connected);
  for (let i = 1; i <= 5; i++) n.reading(reading('m1', i, 100 + i * 50));
  t.is(n.state().buffered, 3);
  t.is(n.state().droppedHistorical, 2);
  await broker.restart();
  await waitFor('births and 3 historical DDATA', () => host.of('NBIRTH').length === 2 && host.of('DDATA', 'm1').length === 3, 30_000);
  const after = host.messages.slice(host.messages.indexOf(host.of('NBIRTH')[1]!));
  t.deepEqual(after.map((m) => [m.type, m.seq]), [['NBIRTH', 0], ['DBIRTH', 1], ['DDATA', 2], ['DDATA', 3], ['DDATA', 4]]);
  t.is(after[1]!.metric('power')!.value, 350, 'DBIRTH: the latest values');
  const hist = after.slice(2);
  t.deepEqual(hist.map((m) => num(m.metric('energyImport')!.value)), [5003, 5004, 5005]);
  t.deepEqual(hist.map((m) => num(m.metric('power')!.timestamp)), [T0 + 3000, T0 + 4000, T0 + 5000]);
  t.true(hist.every((m) => (m.payload.metrics ?? []).every((x) => x.isHistorical === true)));
  t.is(n.state().published.historical, 3);
  t.is(n.state().buffered, 0);
});

test('TCK receive command: DCMD takes only one Command String metric holding a signed envelope for that meter; anything else is rejected and reported', async (t) => {
  const { host, make } = await rig(t, 'n-dcmd');
  const n = make(undefined, undefined, true);
  const commands: Array<[string, string]> = [];
  const rejected: Array<[string, string, string | null]> = [];
  n.on('command', (p: Buffer, device: string) => commands.push([device, p.toString()]));
  n.on('rejected', (topic: string, message: string, id: string | null) => rejected.push([topic, message, id]));
  n.start();
  await waitFor('NBIRTH', () => host.of('NBIRTH').length === 1);
  n.reading(reading('m1', 0, 100));
  await waitFor('DBIRTH', () => host.of('DBIRTH', 'm1').length === 1);
  const declared = host.of('DBIRTH', 'm1')[0]!.metric('Command');
  t.is(declared?.type, 'String', 'DBIRTH declares the writable Command metric');
  const envelope = JSON.stringify({ id: 'c-1', type: 'topup', meter: 'm1', amount: 100, issuedAt: 1, expiresAt: 2, keyId: 'k', sig: 'x' });
  const dcmd = (device: string, metrics: Parameters<typeof encodeTahu>[0]['metrics']) =>
    host.client.publish(`spBv1.0/site-a/DCMD/n-dcmd/${device}`, encodeTahu({ timestamp: Date.now(), metrics: metrics ?? [] }), { qos: 0 });
  dcmd('m1', [{ name: 'Command', type: 'String', value: envelope }]);
  await waitFor('the command', () => commands.length === 1);
  t.deepEqual(commands[0], ['m1', envelope]);
  dcmd('m1', [{ alias: num(declared!.alias), type: 'String', value: envelope } as never]);
  await waitFor('the command by alias', () => commands.length === 2);
  t.deepEqual(commands[1], ['m1', envelope]);
  dcmd('m2', [{ name: 'Command', type: 'String', value: envelope }]);
  dcmd('m1', [{ name: 'relay', type: 'Boolean', value: false }]);
  dcmd('m1', [{ name: 'Command', type: 'Int32', value: 5 }]);
  dcmd('m1', [{ name: 'Command', type: 'String', value: 'open the relay' }]);
  dcmd('m1', [{ name: 'Command', type: 'String', value: envelope }, { name: 'Command', type: 'String', value: envelope }]);
  host.client.publish('spBv1.0/site-a/DCMD/n-dcmd/m1', Buffer.from([0xff, 0xff, 0xff]), { qos: 0 });
  await waitFor('6 rejections', () => rejected.length === 6);
  t.is(commands.length, 2);
  t.deepEqual(rejected.map(([topic]) => topic.split('/')[4]), ['m2', 'm1', 'm1', 'm1', 'm1', 'm1']);
  t.regex(rejected[0]![1], /^meter: the envelope is for "m1", the DCMD for device "m2"/);
  t.is(rejected[0]![2], 'c-1');
  t.regex(rejected[1]![1], /exactly one "Command" metric \(got "relay"\)/);
  t.regex(rejected[2]![1], /must be a String/);
  t.regex(rejected[3]![1], /not JSON/);
  t.regex(rejected[4]![1], /exactly one/);
  t.regex(rejected[5]![1], /^DCMD: /);
});

test('TCK session establishment and termination on MQTT 5: CONNECT v5 with clean start, NBIRTH, DBIRTH, NDEATH on stop', async (t) => {
  const { broker, host, make } = await rig(t, 'n-v5');
  const n = make(undefined, undefined, undefined, 5);
  n.reading(reading('m1', 0, 100));
  n.start();
  await waitFor('NBIRTH and DBIRTH', () => host.of('NBIRTH').length === 1 && host.of('DBIRTH', 'm1').length === 1);
  t.regex(broker.log(), /New client connected from .* as gw-n-v5-spb \(p5, c1/);
  t.is(host.of('NBIRTH')[0]!.seq, 0);
  await n.stop();
  await waitFor('NDEATH', () => host.of('NDEATH').length === 1);
  t.is(host.of('NDEATH')[0]!.bdSeq, host.of('NBIRTH')[0]!.bdSeq);
});
