/**
 * `prepaid-gateway status` against the real running `prepaid-gateway run`: with the console up it
 * reports the uplink (connected) with or without an API token, says what a refused token is, and
 * says "not running" once the service is stopped.
 */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { hashToken } from '../../src/adapters/web/password.js';
import { cli } from '../cli/run-cli.js';
import { rawConfig, runCli } from '../e2e/rig.js';
import { freePort, startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { waitFor } from '../uplink/helpers.js';
import { API_TOKEN, FAST, PASSWORD, http } from './helpers.js';
import { hashPassword } from '../../src/adapters/web/password.js';

testWith(['mosquitto'])('status reports the uplink of the running gateway, with and without an API token', async (t) => {
  t.timeout(90_000);
  const broker = await startMosquitto(t);
  const sim = new Simulator({ profile: 'sdm120', meters: 1, seed: 'web-status' });
  const simPort = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const dir = tempDir(t);
  const port = await freePort();
  const raw = rawConfig('gw-status', join(dir, 'gw.db'), broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port: simPort }],
    meters: [{ id: 'm1', bus: 'tcp1', unit: 1, profile: 'sdm120', pollMs: 500 }],
    console: { listen: `127.0.0.1:${port}`, users: [{ name: 'tech', passwordHash: await hashPassword(PASSWORD, FAST) }], apiTokens: [{ name: 'cli', tokenHash: hashToken(API_TOKEN) }] },
  });
  const t0g = Date.now();
  const gw = runCli(t, dir, raw);
  const file = join(dir, 'gateway.yaml');
  const health = async () => (await http(`http://127.0.0.1:${port}/api/health`).catch(() => ({ status: 0, body: null }))).body;
  await waitFor(`uplink connected\n${gw.stderr()}`, async () => (await health())?.uplink?.connected === true);
  t.log(`gateway up, uplink connected: ${Date.now() - t0g} ms`);
  const h = await health();
  t.deepEqual(Object.keys(h).sort(), ['gateway', 'uplink', 'uptimeMs', 'version'], 'health tells only this, without a login');

  const env = { PREPAID_GATEWAY_API_TOKEN: '' };
  const t0 = Date.now();
  const plain = await cli(['status', '--config', file], { env });
  t.log(`status: ${Date.now() - t0} ms`);
  t.is(plain.code, 0, plain.stderr);
  t.regex(plain.stdout, /^service: running/m);
  t.regex(plain.stdout, /^uplink: {2}mqtt:\/\/127\.0\.0\.1:\d+ {2}connected {2}\[set PREPAID_GATEWAY_API_TOKEN for the full uplink state\]$/m);
  t.notRegex(plain.stdout, /not reachable|unknown/);

  const full = await cli(['status', '--config', file, '--json'], { env: { PREPAID_GATEWAY_API_TOKEN: API_TOKEN } });
  t.is(full.code, 0, full.stderr);
  const s = JSON.parse(full.stdout);
  t.true(s.service.running);
  t.like(s.uplink.state, { connected: true, lastError: null });
  t.true(s.uplink.state.connects >= 1);
  t.is(s.service.api.gateway, 'gw-status');

  const refused = await cli(['status', '--config', file], { env: { PREPAID_GATEWAY_API_TOKEN: 'pgw_wrong' } });
  t.is(refused.code, 0, refused.stderr);
  t.regex(refused.stdout, /connected {2}\[control API at http:\/\/127\.0\.0\.1:\d+ refused the token \(HTTP 401\)/);

  gw.proc.kill('SIGTERM');
  t.is(await gw.exited, 0, gw.stderr());
  const stopped = await cli(['status', '--config', file], { env });
  t.regex(stopped.stdout, /^service: not running$/m);
  t.regex(stopped.stdout, /gateway not running/);
});
