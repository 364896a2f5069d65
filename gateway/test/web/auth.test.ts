/**
 * Web console authentication over real HTTP on 127.0.0.1: login, wrong and unknown credentials,
 * lockout, session expiry, bearer tokens, CSRF defences, and no secret in the logs.
 */
import test from 'ava';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '@prepaid-edge/protocols';
import { ConsoleAuth } from '../../src/adapters/web/auth.js';
import { openConsoleStore } from '../../src/adapters/web/console-store.js';
import { API_TOKEN, METRICS_TOKEN, PASSWORD, capturedLog, consoleSection, fakeHost, http, login, loginFull, startFakeConsole, tempDir } from './helpers.js';

const PROTECTED = ['/api/status', '/api/meters', '/api/events', '/api/session', '/api/scan', '/api/meters/m1/history', '/metrics'];

test('unauthenticated requests are refused on every API route and /metrics; the page itself loads', async (t) => {
  const { url } = await startFakeConsole(t);
  for (const path of PROTECTED) {
    const r = await http(`${url}${path}`);
    t.is(r.status, 401, path);
    t.is(r.body.error.code, 'E_AUTH_REQUIRED', path);
  }
  for (const [path, body] of [['/api/meters/m1/relay', { state: 'disconnected', confirm: true }], ['/api/commands', { id: 'x' }], ['/api/scan', { path: '/dev/ttyX' }]] as const) {
    const r = await http(`${url}${path}`, { body });
    t.is(r.status, 401, path);
  }
  const page = await http(`${url}/`);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type')!, /text\/html/);
  t.regex(page.headers.get('content-security-policy')!, /script-src 'self'/);
});

test('a login sets an HttpOnly SameSite=Strict cookie with an expiry, which then opens the API', async (t) => {
  const { url } = await startFakeConsole(t);
  const r = await http(`${url}/api/login`, { body: { user: 'tech', password: PASSWORD } });
  t.is(r.status, 200);
  const cookie = r.headers.get('set-cookie')!;
  t.regex(cookie, /^pgw_session=[A-Za-z0-9_-]{43};/);
  t.regex(cookie, /HttpOnly/);
  t.regex(cookie, /SameSite=Strict/);
  t.regex(cookie, /Max-Age=3600/);
  const s = await http(`${url}/api/session`, { headers: { cookie: cookie.split(';')[0]! } });
  t.is(s.status, 200);
  t.is(s.body.user, 'tech');
  t.is(s.body.via, 'session');
  const status = await http(`${url}/api/status`, { headers: { cookie: cookie.split(';')[0]! } });
  t.is(status.status, 200);
  t.is(status.body.gateway, 'gw-web');
});

test('wrong password and unknown user get the same refusal', async (t) => {
  const { url } = await startFakeConsole(t);
  const wrong = await http(`${url}/api/login`, { body: { user: 'tech', password: 'nope' } });
  const unknown = await http(`${url}/api/login`, { body: { user: 'mallory', password: PASSWORD } });
  t.is(wrong.status, 401);
  t.is(unknown.status, 401);
  t.deepEqual(wrong.body, unknown.body);
  t.is(wrong.body.error.code, 'E_AUTH_FAILED');
  t.is(wrong.headers.get('set-cookie'), null);
  const forged = await http(`${url}/api/status`, { headers: { cookie: 'pgw_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
  t.is(forged.status, 401);
});

test('five failures lock the user out for the lockout period, even with the right password; then it opens again', async (t) => {
  const clock = new ManualClock({ now: Date.UTC(2026, 0, 5, 12) });
  const { url } = await startFakeConsole(t, { opts: { clock } });
  for (let i = 0; i < 4; i++) t.is((await http(`${url}/api/login`, { body: { user: 'tech', password: `guess-${i}` } })).status, 401);
  const fifth = await http(`${url}/api/login`, { body: { user: 'tech', password: 'guess-5' } });
  t.is(fifth.status, 429);
  t.is(fifth.headers.get('retry-after'), '900');
  const right = await http(`${url}/api/login`, { body: { user: 'tech', password: PASSWORD } });
  t.is(right.status, 429, 'locked out even with the right password');
  t.is(right.body.error.code, 'E_AUTH_FAILED');
  clock.advance(14 * 60_000);
  t.is((await http(`${url}/api/login`, { body: { user: 'tech', password: PASSWORD } })).status, 429);
  clock.advance(61_000);
  t.is((await http(`${url}/api/login`, { body: { user: 'tech', password: PASSWORD } })).status, 200);
});

test('the limiter counts per user across IPs and per IP across users', async (t) => {
  let now = 0;
  const db = await openConsoleStore(join(tempDir(t), 'console.db'));
  t.teardown(() => db.close());
  const auth = new ConsoleAuth(await consoleSection({ loginMaxFailures: 3, loginLockoutMs: 60_000, users: (await consoleSection()).users.concat((await consoleSection()).users.map((u) => ({ ...u, name: 'other' }))) }), db, () => now);
  // One user attacked from three addresses.
  for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) t.false((await auth.login(ip, 'tech', 'x')).ok);
  const r = await auth.login('10.0.0.9', 'tech', PASSWORD);
  t.like(r, { ok: false, reason: 'locked' });
  t.true((await auth.login('10.0.0.9', 'other', PASSWORD)).ok, 'another user from a clean IP is not affected');
  // One address trying three users.
  for (const user of ['a', 'b', 'c']) await auth.login('10.0.0.50', user, 'x');
  t.like(await auth.login('10.0.0.50', 'other', PASSWORD), { ok: false, reason: 'locked' });
  now += 60_001;
  t.true((await auth.login('10.0.0.50', 'other', PASSWORD)).ok);
  t.true((await auth.login('10.0.0.9', 'tech', PASSWORD)).ok);
});

test('a session expires sessionTtlMs after login', async (t) => {
  const clock = new ManualClock({ now: Date.UTC(2026, 0, 5, 12) });
  const { url } = await startFakeConsole(t, { cfg: { sessionTtlMs: 600_000 }, opts: { clock } });
  const cookie = await login(url);
  t.is((await http(`${url}/api/status`, { headers: { cookie } })).status, 200);
  clock.advance(599_000);
  t.is((await http(`${url}/api/status`, { headers: { cookie } })).status, 200);
  clock.advance(2000);
  const r = await http(`${url}/api/status`, { headers: { cookie } });
  t.is(r.status, 401);
  t.is(r.body.error.code, 'E_AUTH_REQUIRED');
});

test('logout ends the session', async (t) => {
  const { url } = await startFakeConsole(t);
  const { cookie, csrf } = await loginFull(url);
  t.is((await http(`${url}/api/logout`, { body: {}, headers: { cookie } })).status, 403, 'logout needs the CSRF token too');
  const out = await http(`${url}/api/logout`, { body: {}, headers: { cookie, 'x-csrf-token': csrf } });
  t.is(out.status, 200);
  t.regex(out.headers.get('set-cookie')!, /Max-Age=0/);
  t.is((await http(`${url}/api/status`, { headers: { cookie } })).status, 401);
});

test('bearer tokens: an API token opens the API, the metrics token only /metrics, a wrong one nothing', async (t) => {
  const { url } = await startFakeConsole(t);
  const api = { authorization: `Bearer ${API_TOKEN}` };
  const s = await http(`${url}/api/status`, { headers: api });
  t.is(s.status, 200);
  t.is((await http(`${url}/api/session`, { headers: api })).body.via, 'token');
  t.is((await http(`${url}/metrics`, { headers: api })).status, 200);
  const m = { authorization: `Bearer ${METRICS_TOKEN}` };
  t.is((await http(`${url}/metrics`, { headers: m })).status, 200);
  t.is((await http(`${url}/api/status`, { headers: m })).status, 401);
  const wrong = { authorization: `Bearer ${API_TOKEN}x` };
  t.is((await http(`${url}/api/status`, { headers: wrong })).status, 401);
  t.is((await http(`${url}/metrics`, { headers: wrong })).status, 401);
  t.is((await http(`${url}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`tech:${PASSWORD}`).toString('base64')}` } })).status, 401);
});

test('CSRF: a session may change state only with a JSON body from its own origin', async (t) => {
  const { url } = await startFakeConsole(t);
  const { cookie, csrf } = await loginFull(url);
  const evil = await http(`${url}/api/scan`, { body: { path: '/dev/ttyX' }, headers: { cookie, origin: 'http://evil.example' } });
  t.is(evil.status, 403);
  const crossSite = await http(`${url}/api/scan`, { body: { path: '/dev/ttyX' }, headers: { cookie, 'sec-fetch-site': 'cross-site' } });
  t.is(crossSite.status, 403);
  const form = await http(`${url}/api/scan`, { raw: 'path=/dev/ttyX', headers: { cookie, origin: url, 'x-csrf-token': csrf, 'content-type': 'text/plain' } });
  t.is(form.status, 415);
  const urlencoded = await http(`${url}/api/scan`, { raw: 'path=/dev/ttyX', headers: { cookie, origin: url, 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded' } });
  t.is(urlencoded.status, 415);
  // Login from another origin is refused too (login CSRF).
  t.is((await http(`${url}/api/login`, { body: { user: 'tech', password: PASSWORD }, headers: { origin: 'http://evil.example' } })).status, 403);
  // Same origin is fine (the route then answers for itself: here, relay needs credit).
  const same = await http(`${url}/api/meters/m1/relay`, { body: { state: 'disconnected', confirm: true }, headers: { cookie, origin: url, 'x-csrf-token': csrf } });
  t.is(same.status, 409);
  t.is(same.body.error.code, 'E_RELAY_UNSUPPORTED');
});

test('passwords, tokens and session ids never reach the log', async (t) => {
  const cap = capturedLog();
  const { url } = await startFakeConsole(t, { host: fakeHost(cap.log) });
  await http(`${url}/api/login`, { body: { user: 'tech', password: 'wrong-secret-pw' } });
  const cookie = await login(url);
  await http(`${url}/api/status`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  await http(`${url}/api/status`, { headers: { authorization: 'Bearer pgw_wrong-token-value' } });
  const log = cap.text();
  t.regex(log, /console login refused/);
  t.regex(log, /console login"/);
  for (const secret of ['wrong-secret-pw', PASSWORD, API_TOKEN, 'pgw_wrong-token-value', cookie.split('=')[1]!, 'scrypt$']) t.false(log.includes(secret), `log contains ${secret.slice(0, 12)}…`);
});

test('the console refuses a non-loopback address unless allowPublic', async (t) => {
  const err = await t.throwsAsync(startFakeConsole(t, { cfg: { listen: '0.0.0.0:0' } }));
  t.is((err as Error & { code?: string }).code, 'E_CONFIG_INVALID');
  t.regex(err!.message, /console\.listen: 0\.0\.0\.0 is not a loopback address/);
});

test('CSRF: a session-cookie POST without the session\'s X-CSRF-Token is refused, with or without Origin; a bearer token needs none', async (t) => {
  const { url } = await startFakeConsole(t);
  const { cookie, csrf } = await loginFull(url);
  const other = await loginFull(url);
  t.not(other.csrf, csrf, 'each session has its own token');
  const body = { state: 'disconnected', confirm: true };
  for (const headers of [{ cookie }, { cookie, origin: url }, { cookie, 'x-csrf-token': other.csrf }, { cookie, 'x-csrf-token': '' }, { cookie, 'x-csrf-token': `${csrf}x` }] as Array<Record<string, string>>) {
    const r = await http(`${url}/api/meters/m1/relay`, { body, headers });
    t.is(r.status, 403, JSON.stringify(Object.keys(headers)));
    t.is(r.body.error.code, 'E_CSRF_TOKEN');
    t.regex(r.body.error.message, /x-csrf-token/);
  }
  // The token comes with the session too (a reloaded page has no login reply).
  const s = await http(`${url}/api/session`, { headers: { cookie } });
  t.is(s.body.csrfToken, csrf);
  t.is((await http(`${url}/api/meters/m1/relay`, { body, headers: { cookie, 'x-csrf-token': csrf } })).status, 409, 'past CSRF: the route answers (no credit here)');
  const bearer = await http(`${url}/api/meters/m1/relay`, { body, headers: { authorization: `Bearer ${API_TOKEN}` } });
  t.is(bearer.status, 409);
  t.is((await http(`${url}/api/session`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).body.csrfToken, undefined);
});

test('a session ends sessionIdleMs after its last request; requests keep it alive up to sessionTtlMs', async (t) => {
  const clock = new ManualClock({ now: Date.UTC(2026, 0, 5, 12) });
  const { url } = await startFakeConsole(t, { cfg: { sessionTtlMs: 3_600_000, sessionIdleMs: 600_000 }, opts: { clock } });
  const cookie = await login(url);
  for (let i = 0; i < 11; i++) {
    clock.advance(5 * 60_000); // a request every 5 min: never idle
    t.is((await http(`${url}/api/status`, { headers: { cookie } })).status, 200, `after ${(i + 1) * 5} min`);
  }
  clock.advance(5 * 60_000); // 60 min after login: the absolute end, however busy
  t.is((await http(`${url}/api/status`, { headers: { cookie } })).status, 401);
  const idle = await login(url);
  const s = await http(`${url}/api/session`, { headers: { cookie: idle } });
  t.is(s.body.idleExpiresAt, clock.now() + 600_000);
  clock.advance(599_000);
  t.is((await http(`${url}/api/status`, { headers: { cookie: idle } })).status, 200);
  clock.advance(600_000); // 10 min since that request
  t.is((await http(`${url}/api/status`, { headers: { cookie: idle } })).status, 401, 'idle too long');
});

test('sessions are listed without their tokens and revoked one by one, per user or all at once', async (t) => {
  const { url } = await startFakeConsole(t);
  const a = await loginFull(url);
  const b = await loginFull(url);
  const c = await loginFull(url);
  const list = await http(`${url}/api/sessions`, { headers: { cookie: a.cookie } });
  t.is(list.body.sessions.length, 3);
  t.is(list.body.sessions.filter((s: { current: boolean }) => s.current).length, 1);
  t.false(list.text.includes(a.cookie.split('=')[1]!) || list.text.includes(a.csrf), 'no token or CSRF token in the list');
  const bId = (await http(`${url}/api/sessions`, { headers: { cookie: b.cookie } })).body.sessions.find((s: { current: boolean }) => s.current).id;
  t.is((await http(`${url}/api/sessions/${bId}`, { method: 'DELETE', headers: { cookie: a.cookie } })).status, 403, 'revoking needs the CSRF token too');
  t.is((await http(`${url}/api/sessions/${bId}`, { method: 'DELETE', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf } })).status, 200);
  t.is((await http(`${url}/api/status`, { headers: { cookie: b.cookie } })).status, 401);
  t.is((await http(`${url}/api/sessions/${bId}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_TOKEN}` } })).status, 404, 'already gone');
  t.is((await http(`${url}/api/sessions?user=nobody`, { method: 'DELETE', headers: { authorization: `Bearer ${API_TOKEN}` } })).body.revoked, 0);
  const all = await http(`${url}/api/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${API_TOKEN}` } });
  t.is(all.body.revoked, 2);
  for (const s of [a, c]) t.is((await http(`${url}/api/status`, { headers: { cookie: s.cookie } })).status, 401);
});

test('a damaged session file does not stop the console: it is moved aside, a fresh one is made, and the log says so', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'gw.console.db');
  writeFileSync(file, 'SQLite format 3\0'.padEnd(4096, 'garbage after a power cut '));
  const cap = capturedLog();
  const { url } = await startFakeConsole(t, { host: fakeHost(cap.log), opts: { storePath: file } });
  t.is((await http(`${url}/api/login`, { body: { user: 'tech', password: PASSWORD } })).status, 200);
  t.regex(cap.text(), /console session store was damaged: moved aside/);
  t.is(readdirSync(dir).filter((f) => f.startsWith('gw.console.db.damaged-')).length, 1);
});
