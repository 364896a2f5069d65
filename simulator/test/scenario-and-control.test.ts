import test from 'ava';
import { parseScenario, parseDuration } from '../src/scenario.js';
import { Simulator } from '../src/simulator.js';
import { ControlApi } from '../src/control/http-api.js';
import { ManualClock } from '@prepaid-edge/protocols';
import { PrepaidError } from '@prepaid-edge/protocols';
import { readdirSync, readFileSync } from 'node:fs';

const scenariosDir = new URL('../../scenarios/', import.meta.url);

test('every shipped scenario file validates', (t) => {
  const files = readdirSync(scenariosDir).filter((f) => /\.(ya?ml|json)$/.test(f));
  t.true(files.length >= 2);
  for (const f of files) t.notThrows(() => parseScenario(readFileSync(new URL(f, scenariosDir), 'utf8'), f), f);
});

test('scenario durations and validation errors name the path', (t) => {
  t.is(parseDuration('90s'), 90_000);
  t.is(parseDuration('2h'), 7_200_000);
  const bad = [
    ['meters:\n  - units: 1\n    load: { type: solar }\n', '/meters/0/load/type'],
    ['meters:\n  - units: 300\n', '/meters/0/units'],
    ['meters:\n  - units: 1\n    faults: [{ type: badCrc, rate: 2 }]\n', '/meters/0/faults/0/rate'],
    ['events:\n  - at: soon\n    units: all\n', '/events/0/at'],
    ['bogus: 1\n', '/'],
    ['start: yesterday\n', '/start'],
  ] as const;
  for (const [text, path] of bad) {
    const e = t.throws(() => parseScenario(text, 'x.yaml'), { instanceOf: PrepaidError });
    t.is(e?.code, 'E_SCENARIO_INVALID');
    t.is(e?.context.path, path, text);
  }
});

test('control API: refuses missing/wrong tokens, changes load and faults with the right one', async (t) => {
  const clock = new ManualClock({ now: Date.UTC(2026, 0, 1) });
  const sim = new Simulator({ profile: 'sdm120', meters: 2, clock });
  const api = new ControlApi(sim);
  const token = 'test-token-0123456789abcdef';
  const port = await api.listen({ port: 0, token });
  t.teardown(() => api.close());
  const base = `http://127.0.0.1:${port}/v1`;
  t.is((await fetch(`${base}/meters`)).status, 401);
  t.is((await fetch(`${base}/meters`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status, 401);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const list = (await (await fetch(`${base}/meters`, { headers: auth })).json()) as unknown[];
  t.is(list.length, 2);
  const put = await fetch(`${base}/meters/2/load`, { method: 'PUT', headers: auth, body: JSON.stringify({ type: 'constant', watts: 3600 }) });
  t.is(put.status, 200);
  const e0 = sim.trueState(2).snapshot.energyImportWh;
  clock.advance(3_600_000);
  t.is(sim.trueState(2).snapshot.energyImportWh - e0, 3600);
  await fetch(`${base}/meters/2/faults`, { method: 'POST', headers: auth, body: JSON.stringify({ type: 'noReply' }) });
  t.is(sim.trueState(2).faults[0]?.type, 'noReply');
  const relay = await fetch(`${base}/meters/1/relay`, { method: 'PUT', headers: auth, body: JSON.stringify({ closed: false }) });
  t.false(((await relay.json()) as { relayClosed: boolean }).relayClosed);
  t.is((await fetch(`${base}/meters/9`, { headers: auth })).status, 404);
  t.is((await fetch(`${base}/meters/1/relay`, { method: 'PUT', headers: auth, body: '{}' })).status, 400);
});
