/**
 * Every API route checks its params, query string and body: a bad value is a 400 naming the
 * field, never silently replaced by a default. And the event log's routine rows are hidden
 * unless asked for.
 */
import test from 'ava';
import { API_TOKEN, http, startFakeConsole } from './helpers.js';

const auth = { authorization: `Bearer ${API_TOKEN}` };

test('bad query strings are refused with a 400 naming the field; good ones are coerced', async (t) => {
  const { url } = await startFakeConsole(t);
  for (const [path, field] of [
    ['/api/meters/m1/history?hours=abc', /^querystring\.hours: must be number/],
    ['/api/meters/m1/history?hours=0', /^querystring\.hours: must be >= 0\.01/],
    ['/api/meters/m1/history?hours=25', /^querystring\.hours: must be <= 24/],
    ['/api/meters/m1/history?hour=6', /^querystring: unknown key "hour"/],
    ['/api/events?limit=abc', /^querystring\.limit: must be integer/],
    ['/api/events?limit=0', /^querystring\.limit/],
    ['/api/events?limit=1.5', /^querystring\.limit: must be integer/],
    ['/api/events?after=-1', /^querystring\.after/],
    ['/api/events?routine=maybe', /^querystring\.routine: must be boolean/],
    ['/api/status?x=1', /^querystring: unknown key "x"/],
    ['/api/sessions?verbose=1', /^querystring: unknown key "verbose"/],
  ] as const) {
    const r = await http(`${url}${path}`, { headers: auth });
    t.is(r.status, 400, path);
    t.is(r.body?.error?.code, 'E_CONTROL_REQUEST', path);
    t.regex(r.body.error.message, field, path);
  }
  const ok = await http(`${url}/api/meters/m1/history?hours=0.5`, { headers: auth });
  t.is(ok.status, 200);
  t.deepEqual(ok.body.points, []);
  t.is((await http(`${url}/api/events?limit=5&after=0&routine=true`, { headers: auth })).status, 200);
});

test('bad bodies name the field or the unknown key; params are checked too', async (t) => {
  const { url } = await startFakeConsole(t);
  for (const [path, body, field] of [
    ['/api/login', { user: 'tech' }, /^body\.password: must have required property 'password'/],
    ['/api/login', { user: 'tech', password: 'x', remember: true }, /^body: unknown key "remember"/],
    ['/api/login', { user: 7, password: 'x' }, /^body\.user: must be string/],
    ['/api/meters/m1/relay', { state: 'off', confirm: true }, /^body\.state: must be equal to one of the allowed values \(connected, disconnected\)/],
    ['/api/meters/m1/relay', { state: 'connected', confirm: true, holdMinutes: '5' }, /^body\.holdMinutes: must be integer/],
    ['/api/commands', [1, 2], /^body: must be object/],
    ['/api/logout', { all: true }, /^body: unknown key "all"/],
  ] as const) {
    const r = await http(`${url}${path}`, { body, headers: auth });
    t.is(r.status, 400, `${path} ${JSON.stringify(body)}`);
    t.regex(r.body.error.message, field, `${path} ${JSON.stringify(body)}`);
  }
  const longId = 'x'.repeat(65);
  const p = await http(`${url}/api/meters/${longId}/history`, { headers: auth });
  t.is(p.status, 400);
  t.regex(p.body.error.message, /^params\.id: must NOT have more than 64 characters/);
  const sid = await http(`${url}/api/sessions/not-hex`, { method: 'DELETE', headers: auth });
  t.is(sid.status, 400);
  t.regex(sid.body.error.message, /^params\.id: must match pattern/);
  t.is((await http(`${url}/api/sessions/0123456789abcdef`, { method: 'DELETE', headers: auth })).status, 404);
  // Logout with no body at all is fine (nothing to validate).
  t.is((await http(`${url}/api/logout`, { method: 'POST', headers: auth })).status, 200);
});

test('the event log: each event has a kind; routine rows are hidden by default and shown on request', async (t) => {
  const { url, host } = await startFakeConsole(t);
  const ts = Date.UTC(2026, 0, 5, 12);
  for (const o of host.observers) {
    o.event?.({ ts, type: 'comm-lost', meter: 'm1' });
    o.event?.({ ts: ts + 1, type: 'relay', meter: 'm1', data: { target: 'disconnected' } });
  }
  // The fake host has no ledger; routine audit rows are tested through a fake ledger below.
  const r = await http(`${url}/api/events`, { headers: auth });
  t.is(r.status, 200);
  t.deepEqual(
    r.body.events.map((e: { type: string; kind: string }) => [e.type, e.kind]),
    [
      ['comm-lost', 'alarm'],
      ['relay', 'change'],
    ],
  );
  t.is(r.body.routine, false);
});

test('routine audit rows (charges, meter credit sync) are hidden unless routine=true; the others stay, newest kept', async (t) => {
  const rows = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, ts: i, meter: 'm1', action: i === 10 ? 'topup' : i % 2 ? 'charge' : 'meter-credit-sync', cause: 'x', detail: {} }));
  const ledger = {
    auditLog: async ({ afterId = 0, limit = 1000 }: { afterId?: number; limit?: number }) => rows.filter((r) => r.id > afterId).slice(0, limit),
    accounts: async () => [],
  };
  const { fakeHost } = await import('./helpers.js');
  const { latestAudit } = await import('../../src/adapters/credit/latest-audit.js');
  const host = { ...fakeHost(), credit: { latestAudit: (n: number) => latestAudit(ledger, n), accounts: async () => [] } as never };
  const { url } = await startFakeConsole(t, { host });
  const hidden = await http(`${url}/api/events?limit=50`, { headers: auth });
  t.deepEqual(
    hidden.body.audit.map((a: { action: string; kind: string }) => [a.action, a.kind]),
    [['topup', 'change']],
    'the top-up 290 rows back is still found',
  );
  const shown = await http(`${url}/api/events?limit=50&routine=true`, { headers: auth });
  t.is(shown.body.audit.length, 50);
  t.true(shown.body.audit.every((a: { kind: string }) => a.kind === 'routine'));
  t.is(shown.body.audit.at(-1).id, 300);
});
