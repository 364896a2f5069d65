/**
 * The console's API bodies, query strings and params, fuzzed over real HTTP against a running
 * console (127.0.0.1, port chosen at run time): FUZZ_RUNS/10 requests (10^3 by default; `npm run
 * fuzz` runs 10^5). Never a 5xx, every refusal a coded JSON error, and the server still answers.
 */
import test from 'ava';
import { API_TOKEN, http, startFakeConsole } from '../web/helpers.js';
import { fuzzWebApi } from './web-api-fuzz.js';

const RUNS = Math.max(100, Math.round(Number(process.env.FUZZ_RUNS ?? 10_000) / 10));
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

test(`web API: ${RUNS} fuzzed requests, never a 5xx, every refusal a coded JSON error`, async (t) => {
  const { url } = await startFakeConsole(t);
  const r = await fuzzWebApi(url, RUNS, SEED);
  t.log(`seed ${SEED}: statuses ${JSON.stringify(r.statuses)}, slowest ${r.slowestMs.toFixed(0)} ms`);
  t.is(r.crash, undefined, `FUZZ_SEED=${SEED}: ${r.crash}`);
  t.is(r.runs, RUNS);
  t.true(Object.keys(r.statuses).some((s) => Number(s) < 300) && r.statuses['400'] !== undefined, 'both accepted and refused requests were made');
  t.is((await http(`${url}/api/status`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).status, 200, 'the console still answers');
});
