/**
 * TCK session termination with a real process: `prepaid-gateway run` with `sparkplug:` polls
 * simulated meters over Modbus TCP; SIGKILL -> the broker publishes the NDEATH will (QoS 1, not
 * retained) carrying the bdSeq of the last NBIRTH; the next run births with bdSeq + 1.
 */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { waitFor } from '../uplink/helpers.js';
import { rawConfig, runCli } from '../e2e/rig.js';
import { startHost } from './host.js';

const test = testWith(['mosquitto']);

test('TCK session termination: SIGKILL of prepaid-gateway run -> NDEATH will, QoS 1, bdSeq of the last NBIRTH; the next run births with bdSeq + 1', async (t) => {
  t.timeout(90_000);
  const broker = await startMosquitto(t);
  const host = await startHost(t, broker.url, 'plant');
  const sim = new Simulator({ profile: 'sdm630', meters: 2, seed: 'spb-kill' });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const dir = tempDir(t);
  const raw = rawConfig('spb-kill', join(dir, 'gw.db'), broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 500 }],
    meters: [1, 2].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 200 })),
    sparkplug: { groupId: 'plant', edgeNodeId: 'spb-kill' },
  });

  const first = runCli(t, dir, raw);
  await waitFor('NBIRTH and a DBIRTH per meter', () => host.of('NBIRTH').length === 1 && ['m1', 'm2'].every((m) => host.of('DBIRTH', m).length >= 1), 30_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${first.stderr()}`);
  });
  const birth = host.of('NBIRTH')[0]!;
  t.is(birth.seq, 0);
  t.truthy(host.of('DBIRTH', 'm1')[0]!.metric('energyImport'), 'DBIRTH carries the canonical energy metric');
  first.proc.kill('SIGKILL');
  await first.exited;
  await waitFor('NDEATH from the broker', () => host.of('NDEATH').length === 1, 20_000);
  const death = host.of('NDEATH')[0]!;
  t.is(death.qos, 1);
  t.is(death.retain, false);
  t.is(death.seq, null);
  t.is(death.bdSeq, birth.bdSeq);

  const second = runCli(t, dir, raw);
  await waitFor('NBIRTH of the next run', () => host.of('NBIRTH').length === 2, 30_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${second.stderr()}`);
  });
  t.is(host.of('NBIRTH')[1]!.bdSeq, (birth.bdSeq! + 1) % 256);
  second.proc.kill('SIGTERM');
  await second.exited;
  await waitFor('NDEATH of the clean stop', () => host.of('NDEATH').length === 2, 20_000);
  t.is(host.of('NDEATH')[1]!.bdSeq, host.of('NBIRTH')[1]!.bdSeq);
});
