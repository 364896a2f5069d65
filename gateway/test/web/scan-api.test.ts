/** POST /api/scan + GET /api/scan/:id with a scripted scan engine: progress, results, refusals. */
import test from 'ava';
import type { ScanRunner } from '../../src/adapters/web/scan-jobs.js';
import { scanHit } from '../../src/adapters/web/scan-adapter.js';
import { API_TOKEN, http, startFakeConsole } from './helpers.js';
import { waitFor } from '../uplink/helpers.js';

const auth = { authorization: `Bearer ${API_TOKEN}` };

test('a scan runs as a job: progress while it runs, the meters found at the end', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const seen: unknown[] = [];
  const runner: ScanRunner = async (req, onProgress) => {
    seen.push(req);
    onProgress({ done: 3, total: 6, current: '9600 8N1', found: [{ unit: 2, baudRate: 9600, parity: 'none', profile: 'sdm120' }] });
    await gate;
    return [{ unit: 2, baudRate: 9600, parity: 'none', profile: 'sdm120' }];
  };
  const { url } = await startFakeConsole(t, { opts: { scanRunner: async () => runner } });
  const start = await http(`${url}/api/scan`, { body: { path: '/dev/ttySPARE', units: { from: 1, to: 6 } }, headers: auth });
  t.is(start.status, 202, start.text);
  t.like(start.body, { state: 'running', user: 'cli', request: { path: '/dev/ttySPARE', protocol: 'modbus', baudRates: [9600], parities: ['none'] } });
  t.deepEqual(seen, [{ path: '/dev/ttySPARE', protocol: 'modbus', baudRates: [9600], parities: ['none'], units: { from: 1, to: 6 } }]);
  const running = await http(`${url}/api/scan/${start.body.id}`, { headers: auth });
  t.like(running.body, { state: 'running', progress: { done: 3, total: 6, current: '9600 8N1' } });
  const again = await http(`${url}/api/scan`, { body: { path: '/dev/ttySPARE' }, headers: auth });
  t.is(again.status, 400);
  t.regex(again.body.error.message, /already running/);
  release();
  await waitFor('scan done', async () => (await http(`${url}/api/scan/${start.body.id}`, { headers: auth })).body.state === 'done');
  const done = await http(`${url}/api/scan/${start.body.id}`, { headers: auth });
  t.like(done.body, { state: 'done', progress: { done: 6, total: 6 }, error: null });
  t.deepEqual(done.body.progress.found, [{ unit: 2, baudRate: 9600, parity: 'none', profile: 'sdm120' }]);
});

test('a scan of a line the gateway polls is refused; bad requests name the field', async (t) => {
  let calls = 0;
  const { url } = await startFakeConsole(t, { opts: { scanRunner: async () => async () => (calls++, []) } });
  const busy = await http(`${url}/api/scan`, { body: { path: '/dev/ttyGATEWAY0' }, headers: auth });
  t.is(busy.status, 400);
  t.is(busy.body.error.code, 'E_CONTROL_REQUEST');
  t.regex(busy.body.error.message, /is a bus the gateway polls/);
  const list = await http(`${url}/api/scan`, { headers: auth });
  t.deepEqual(list.body.busyPaths, ['/dev/ttyGATEWAY0']);
  for (const [body, field] of [
    [{ path: 'ttyUSB0' }, /path/],
    [{ path: '/dev/ttyX', baudRates: [1234] }, /baudRates/],
    [{ path: '/dev/ttyX', units: { from: 0, to: 3 } }, /units/],
    [{ path: '/dev/ttyX', units: { from: 9, to: 3 } }, /units\.to/],
    [{ path: '/dev/ttyX', extra: 1 }, /additional/],
  ] as const) {
    const r = await http(`${url}/api/scan`, { body, headers: auth });
    t.is(r.status, 400, JSON.stringify(body));
    t.regex(r.body.error.message, field);
  }
  t.is(calls, 0);
  t.is((await http(`${url}/api/scan/nope`, { headers: auth })).status, 404);
});

test('relay and command routes need a confirmed, well-formed body and a known meter', async (t) => {
  const { url } = await startFakeConsole(t);
  const noConfirm = await http(`${url}/api/meters/m1/relay`, { body: { state: 'disconnected' }, headers: auth });
  t.is(noConfirm.status, 400);
  t.regex(noConfirm.body.error.message, /confirm/);
  t.is((await http(`${url}/api/meters/m1/relay`, { body: { state: 'disconnected', confirm: false }, headers: auth })).status, 400);
  t.is((await http(`${url}/api/meters/m1/relay`, { body: { state: 'off', confirm: true }, headers: auth })).status, 400);
  t.is((await http(`${url}/api/meters/nope/relay`, { body: { state: 'disconnected', confirm: true }, headers: auth })).status, 404);
  t.is((await http(`${url}/api/meters/nope/history`, { headers: auth })).status, 404);
  const cmd = await http(`${url}/api/commands`, { body: { id: 'c1' }, headers: auth });
  t.is(cmd.status, 409, 'no credit section: no commands');
});

test('the console shows a found meter with its line settings, and an ambiguous one with its candidates and the problem', (t) => {
  t.deepEqual(scanHit({ protocol: 'modbus', unit: 7, baudRate: 9600, parity: 'none', stopBits: 2, profile: 'sdm120', candidates: ['sdm120'] }), {
    unit: 7,
    baudRate: 9600,
    parity: 'none',
    stopBits: 2,
    line: '9600 8N2',
    profile: 'sdm120',
    detail: { protocol: 'modbus' },
  });
  const ambiguous = scanHit({ protocol: 'modbus', unit: 9, baudRate: 19200, parity: 'even', stopBits: 1, profile: null, candidates: ['a', 'b'], problem: 'ambiguous: the signatures of a and b all hold' });
  t.like(ambiguous, { line: '19200 8E1', candidates: ['a', 'b'], problem: 'ambiguous: the signatures of a and b all hold' });
  t.false('profile' in ambiguous);
  t.like(scanHit({ protocol: 'dlt645', unit: null, address: '000000000005', baudRate: 2400, parity: 'odd', stopBits: 1, profile: 'dlt645', candidates: ['dlt645'] }), { address: '000000000005', line: '2400 8O1' });
});
