/**
 * The web API fuzz target: requests with fuzzed bodies, content types, query strings and params
 * against a running console, authenticated so the bodies reach the validators and handlers, not
 * just the login check. Every answer must be below 500 and every refusal JSON with a registered
 * error code. Used by web-api.test.ts (CI form) and scripts/fuzz.mjs.
 */
import fc from 'fast-check';
import { ERROR_CODES } from '@prepaid-edge/protocols';
import { API_TOKEN, http } from '../web/helpers.js';

const CODES = new Set(Object.keys(ERROR_CODES));
const auth = { authorization: `Bearer ${API_TOKEN}` };

const body = fc.oneof(
  fc.jsonValue(),
  fc.record({ user: fc.anything(), password: fc.anything() }, { requiredKeys: [] }),
  fc.record({ state: fc.oneof(fc.constantFrom('connected', 'disconnected'), fc.anything()), confirm: fc.anything(), holdMinutes: fc.anything() }, { requiredKeys: [] }),
  fc.record({ path: fc.string(), bauds: fc.anything(), units: fc.anything(), parity: fc.anything() }, { requiredKeys: [] }),
);
const raw = fc.oneof(body.map((b) => JSON.stringify(b) ?? 'null'), fc.fullUnicodeString({ maxLength: 200 }));
const segment = fc.oneof(fc.constant('m1'), fc.string({ maxLength: 70 }).map(encodeURIComponent));
const queryString = fc.array(fc.tuple(fc.constantFrom('hours', 'limit', 'after', 'routine', 'user', 'x'), fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String), fc.double().map(String))), { maxLength: 3 }).map((kv) => kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));

const request = fc.oneof(
  fc.record({ method: fc.constant('POST'), path: fc.constantFrom('/api/login', '/api/logout', '/api/commands', '/api/meters/m1/relay'), raw, type: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded') }),
  fc.record({ method: fc.constant('POST'), path: segment.map((s) => `/api/meters/${s}/relay`), raw, type: fc.constant('application/json') }),
  fc.record({ method: fc.constant('GET'), path: fc.tuple(fc.constantFrom('/api/meters/m1/history', '/api/events', '/api/status', '/api/meters', '/api/sessions'), queryString).map(([p, q]) => (q ? `${p}?${q}` : p)) }),
  fc.record({ method: fc.constant('GET'), path: segment.map((s) => `/api/meters/${s}/history`) }),
  fc.record({ method: fc.constant('DELETE'), path: segment.map((s) => `/api/sessions/${s}`) }),
);

export interface WebFuzzReport {
  runs: number;
  statuses: Record<string, number>;
  slowestMs: number;
  seed: number;
  crash?: string;
}

export async function fuzzWebApi(url: string, runs: number, seed: number): Promise<WebFuzzReport> {
  const seen = new Map<number, number>();
  let slowestMs = 0;
  const result = await fc.check(
    fc.asyncProperty(request, async (r) => {
      const headers: Record<string, string> = { ...auth };
      if ('type' in r) headers['content-type'] = r.type;
      const t0 = performance.now();
      const res = await http(`${url}${r.path}`, { method: r.method, headers, ...('raw' in r ? { raw: r.raw } : {}) });
      slowestMs = Math.max(slowestMs, performance.now() - t0);
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      if (res.status >= 500) throw new Error(`${res.status} for ${r.method} ${r.path}: ${res.text.slice(0, 300)}`);
      if (res.status >= 400) {
        const code = res.body?.error?.code;
        if (!CODES.has(code)) throw new Error(`${res.status} without a registered code for ${r.method} ${r.path}: ${res.text.slice(0, 300)}`);
        if (typeof res.body.error.message !== 'string' || res.body.error.message.length === 0) throw new Error(`no message: ${res.text}`);
      }
    }),
    { numRuns: runs, seed },
  );
  const report: WebFuzzReport = { runs: result.numRuns, statuses: Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])), slowestMs, seed };
  if (result.failed) report.crash = `${String(result.errorInstance)}\ncounterexample: ${fc.stringify(result.counterexample)}`;
  return report;
}
