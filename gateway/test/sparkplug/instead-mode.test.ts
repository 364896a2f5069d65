/**
 * sparkplug.mode instead, through a real mosquitto: readings go on Sparkplug only (no JSON reading
 * topic at all), status and health stay on the JSON topics, and the outbox still drives delivery:
 * what is stored during a broker outage comes as historical DDATA, and delivered rows are deleted.
 */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, subscribe, waitFor } from '../uplink/helpers.js';
import { configOf, rawConfig, sleep, startGateway } from '../e2e/rig.js';
import { startHost } from './host.js';

const test = testWith(['mosquitto']);

test('sparkplug.mode instead: no JSON reading topics; Sparkplug carries the readings, outage ones as historical DDATA; the outbox drains', async (t) => {
  t.timeout(90_000);
  const broker = await startMosquitto(t, { extraConf: ['queue_qos0_messages true'] });
  const host = await startHost(t, broker.url, 'plant', { clean: false });
  const sub = await subscribe(t, broker.url);
  const sim = new Simulator({ profile: 'sdm630', meters: 2, seed: 'spb-instead' });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const gwId = 'spb-instead';
  const cfg = configOf(
    rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
      buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 500 }],
      meters: [1, 2].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 200 })),
      sparkplug: { groupId: 'plant', edgeNodeId: gwId, mode: 'instead' },
    }),
  );
  t.is(cfg.sparkplug?.mode, 'instead');
  const gw = await startGateway(t, cfg);
  await waitFor('births and DDATA', () => host.of('DBIRTH').length === 2 && host.of('DDATA').length > 4, 30_000);
  await broker.stop();
  await sleep(1500);
  await broker.restart();
  await waitFor('second NBIRTH, then historical DDATA', () => host.of('NBIRTH').length === 2 && host.of('DDATA').some((m) => m.payload.metrics?.[0]?.isHistorical === true), 30_000);
  await waitFor('the outbox drained (every stored reading delivered on Sparkplug)', async () => (await gw.status()).outbox.readings <= 2, 20_000);
  const historical = host.of('DDATA').filter((m) => m.payload.metrics?.[0]?.isHistorical === true);
  t.true(historical.length >= 10, `outage readings came as historical DDATA (${historical.length})`);
  t.deepEqual(sub.messages.filter((m) => m.topic.endsWith('/readings')).map((m) => m.topic), [], 'no JSON reading topic');
  t.true(sub.messages.some((m) => m.topic === `${PREFIX}/${gwId}/status` && m.json['state'] === 'online'), 'JSON status still published');
  t.true(sub.messages.some((m) => m.topic.startsWith(`${PREFIX}/${gwId}/meters/`) && m.topic.endsWith('/health')), 'JSON health still published');
  await gw.stop();
});

test('sparkplug.mode is validated: beside or instead only', async (t) => {
  const { PrepaidError } = await import('@prepaid-edge/protocols');
  const base = rawConfig('gw', '/tmp/x.db', 'mqtt://127.0.0.1:1883', {
    buses: [{ id: 'b', type: 'tcp', host: '127.0.0.1', port: 5020 }],
    meters: [{ id: 'm1', bus: 'b', unit: 1, profile: 'sdm630' }],
  });
  t.is(configOf({ ...base, sparkplug: { groupId: 'a', edgeNodeId: 'n', mode: 'beside' } }).sparkplug?.mode, 'beside');
  t.is(configOf({ ...base, sparkplug: { groupId: 'a', edgeNodeId: 'n' } }).sparkplug?.mode, undefined, 'absent = beside');
  const e = t.throws(() => configOf({ ...base, sparkplug: { groupId: 'a', edgeNodeId: 'n', mode: 'only' } }), { instanceOf: PrepaidError });
  t.is(e?.context.path, 'sparkplug.mode');
});
