/**
 * Sessions and lockouts on the real `prepaid-gateway run` process: a login survives a restart;
 * a session revoked, expired or left idle (its row aged while the gateway was stopped) does not;
 * a changed password ends every session of that user; a success resets the failure count; a
 * lockout outlives the restart.
 */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { openDb } from '../../src/adapters/store/sqlite.js';
import { hashPassword } from '../../src/adapters/web/password.js';
import { rawConfig, runCli, type CliChild } from '../e2e/rig.js';
import { freePort, startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { waitFor } from '../uplink/helpers.js';
import { FAST, PASSWORD, http, loginFull } from './helpers.js';

testWith(['mosquitto'])('sessions survive a restart of the real gateway process; revoked, expired, idle ones and a changed password do not; lockouts persist', async (t) => {
  t.timeout(90_000);
  const broker = await startMosquitto(t);
  const sim = new Simulator({ profile: 'sdm120', meters: 1, seed: 'web-restart' });
  const simPort = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const dir = tempDir(t);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const consoleWith = (passwordHash: string) => ({ listen: `127.0.0.1:${port}`, users: [{ name: 'tech', passwordHash }], sessionTtlMs: 3_600_000, sessionIdleMs: 600_000, loginMaxFailures: 5, loginLockoutMs: 900_000 });
  const raw = (passwordHash: string) =>
    rawConfig('gw-web-restart', join(dir, 'gw.db'), broker.url, {
      buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port: simPort }],
      meters: [{ id: 'm1', bus: 'tcp1', unit: 1, profile: 'sdm120', pollMs: 500 }],
      console: consoleWith(passwordHash),
    });
  const hash = await hashPassword(PASSWORD, FAST);
  const start = async (h: string): Promise<CliChild> => {
    const gw = runCli(t, dir, raw(h));
    await waitFor(`console up\n${gw.stderr()}`, async () => (await http(`${url}/api/session`).catch(() => ({ status: 0 }))).status === 401);
    return gw;
  };
  const stop = async (gw: CliChild) => {
    gw.proc.kill('SIGTERM');
    t.is(await gw.exited, 0, gw.stderr());
  };
  const get = (cookie: string) => http(`${url}/api/status`, { headers: { cookie } });
  const wrong = () => http(`${url}/api/login`, { body: { user: 'tech', password: 'not-it' } });
  const right = () => http(`${url}/api/login`, { body: { user: 'tech', password: PASSWORD } });

  let gw = await start(hash);
  const [kept, revoked, expired, idle] = [await loginFull(url), await loginFull(url), await loginFull(url), await loginFull(url)];
  const idOf = async (s: { cookie: string }) => ((await http(`${url}/api/sessions`, { headers: { cookie: s.cookie } })).body.sessions as Array<{ id: string; current: boolean }>).find((x) => x.current)!.id;
  const [revokedId, expiredId, idleId] = [await idOf(revoked), await idOf(expired), await idOf(idle)];
  const del = await http(`${url}/api/sessions/${revokedId}`, { method: 'DELETE', headers: { cookie: kept.cookie, 'x-csrf-token': kept.csrf } });
  t.is(del.status, 200, del.text);
  t.is((await get(revoked.cookie)).status, 401, 'revoked at once');

  // A success resets the count: 4 + 4 failures around a success never lock.
  for (let i = 0; i < 4; i++) t.is((await wrong()).status, 401);
  t.is((await right()).status, 200);
  for (let i = 0; i < 4; i++) t.is((await wrong()).status, 401, 'not locked: the success reset the count');
  t.is((await right()).status, 200);
  // Five in a row lock.
  for (let i = 0; i < 4; i++) t.is((await wrong()).status, 401);
  t.is((await wrong()).status, 429);
  await stop(gw);

  // While stopped, time passes for two sessions: one past its absolute end, one idle too long.
  const db = await openDb(join(dir, 'gw.console.db'), false);
  await db.run('UPDATE sessions SET expires_at = ? WHERE substr(token_hash, 1, 16) = ?', [Date.now() - 1, expiredId]);
  await db.run('UPDATE sessions SET last_seen_at = ? WHERE substr(token_hash, 1, 16) = ?', [Date.now() - 600_001, idleId]);
  const stored = await db.all<{ token_hash: string }>('SELECT token_hash FROM sessions');
  await db.close();
  t.false(JSON.stringify(stored).includes(kept.cookie.split('=')[1]!), 'the file holds hashes, not tokens');

  gw = await start(hash);
  const s = await get(kept.cookie);
  t.is(s.status, 200, 'the login survived the restart');
  t.is(s.body.gateway, 'gw-web-restart');
  const session = await http(`${url}/api/session`, { headers: { cookie: kept.cookie } });
  t.is(session.body.csrfToken, kept.csrf, 'same CSRF token after the restart');
  for (const [name, c] of [['revoked', revoked], ['expired', expired], ['idle', idle]] as const) t.is((await get(c.cookie)).status, 401, name);
  const locked = await right();
  t.is(locked.status, 429, 'the lockout outlived the restart');
  t.true(Number(locked.headers.get('retry-after')) > 800);
  await stop(gw);

  // A new password for tech (config changed): every session opened with the old one ends.
  gw = await start(await hashPassword('a new password', FAST));
  t.is((await get(kept.cookie)).status, 401, 'password changed: session revoked');
  await stop(gw);
});
