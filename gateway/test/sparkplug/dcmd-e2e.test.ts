/**
 * TCK receive command, end to end: a signed top-up sent as a Sparkplug DCMD (Command metric) to
 * `prepaid-gateway run` with `sparkplug:` and `credit:`; its result comes on the JSON results topic.
 * A forged envelope is rejected by the signature check; a DCMD without an envelope is rejected
 * with E_SPARKPLUG_COMMAND.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, subscribe, waitFor } from '../uplink/helpers.js';
import { oneMeterCredit } from '../e2e/one-prepaid-meter.js';
import { CLI, rawConfig, runCli } from '../e2e/rig.js';
import { encodeTahu, startHost } from './host.js';

const run = promisify(execFile);
const cli = async (args: string[]): Promise<string> => (await run(process.execPath, [CLI, ...args], { timeout: 60_000 })).stdout;


testWith(['mosquitto'])('TCK receive command: a signed top-up by DCMD is applied, a forged one and a DCMD without an envelope are rejected, results on the JSON topic', async (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const host = await startHost(t, broker.url, 'plant');
  const sim = new Simulator({ profile: 'prepaid', meters: 1, seed: 'spb-dcmd' });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  await cli(['command', 'keygen', '--out', join(dir, 'keys'), '--key-id', 'utility-spb']);
  const gwId = 'spb-dcmd';
  const raw = rawConfig(gwId, join(dir, 'gw.db'), broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
    meters: [{ id: 'p1', bus: 'tcp1', unit: 1, profile: 'prepaid', pollMs: 250 }],
    credit: oneMeterCredit(join(dir, 'keys'), 'utility-spb', 1000),
    sparkplug: { groupId: 'plant', edgeNodeId: gwId },
  });
  const gw = runCli(t, dir, raw);
  const fail = (e: Error) => t.fail(`${e.message}\n${gw.stderr()}`);
  await waitFor('DBIRTH of p1 with the Command metric', () => host.of('DBIRTH', 'p1').some((m) => m.metric('Command')?.type === 'String'), 30_000).catch(fail);

  const results = () => sub.on(`${PREFIX}/${gwId}/commands/results`).map((m) => m.json as { status: string; id: string | null; reason?: string; balance?: number; message?: string });
  const dcmd = (metrics: Parameters<typeof encodeTahu>[0]['metrics']) =>
    host.client.publishAsync(`spBv1.0/plant/DCMD/${gwId}/p1`, encodeTahu({ timestamp: Date.now(), metrics: metrics ?? [] }), { qos: 0 });
  const signed = (await cli(['command', 'sign', '--key', join(dir, 'keys', 'utility-spb.private.pem'), '--key-id', 'utility-spb', '--type', 'topup', '--meter', 'p1', '--currency', 'EUR', '--amount', '5000', '--ttl', '1h'])).trim();
  const id = (JSON.parse(signed) as { id: string }).id;

  await dcmd([{ name: 'Command', type: 'String', value: signed }]);
  await waitFor('the top-up result', () => results().some((r) => r.id === id), 20_000).catch(fail);
  const applied = results().find((r) => r.id === id)!;
  t.is(applied.status, 'applied');
  t.is(typeof applied.balance, 'number');

  const forged = JSON.stringify({ ...(JSON.parse(signed) as object), id: `${id}-forged`, amount: 9_000_000 });
  await dcmd([{ name: 'Command', type: 'String', value: forged }]);
  await dcmd([{ name: 'relay', type: 'Boolean', value: true }]);
  await waitFor('two rejections', () => results().filter((r) => r.status === 'rejected').length === 2, 20_000).catch(fail);
  const rejected = results().filter((r) => r.status === 'rejected');
  const bare = rejected.filter((r) => r.reason === 'E_SPARKPLUG_COMMAND');
  const sig = rejected.filter((r) => r.reason !== 'E_SPARKPLUG_COMMAND');
  t.is(bare.length, 1);
  t.is(bare[0]!.id, null);
  t.regex(bare[0]!.message!, /exactly one "Command" metric/);
  t.is(sig.length, 1, 'the forged envelope reached the credit runtime\'s checks');
  t.regex(sig[0]!.reason!, /^E_COMMAND_/);
  t.is(sig[0]!.reason, 'E_COMMAND_SIGNATURE');
});
