/** Shared pieces of the web console tests: fast password hashes, a fake gateway, HTTP helpers. */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { ExecutionContext } from 'ava';
import YAML from 'yaml';
import { parseConfig } from '../../src/app/config/load-config.js';
import type { GatewayConfig } from '../../src/core/config/gateway-config.js';
import type { Logger } from '../../src/adapters/log.js';
import type { GatewayStatus } from '../../src/app/runtime.js';
import type { ConsoleConfig } from '../../src/core/config/gateway-config.js';
import { startConsole, type ConsoleHost, type ConsoleOptions, type GatewayObserver, type WebConsole } from '../../src/adapters/web/console-server.js';
import { hashPassword, hashToken } from '../../src/adapters/web/password.js';
import { tempDir } from '../store/temp-dir.js';

export { tempDir };

/** Cheap scrypt parameters: the tests check the scheme, not the cost. */
export const FAST = { N: 1024, r: 8, p: 1 };

export const PASSWORD = 'correct horse battery staple';
export const API_TOKEN = 'pgw_test-api-token-0123456789abcdefghijklmnopqrstuv';
export const METRICS_TOKEN = 'pgw_test-metrics-token-0123456789abcdefghijklmnopq';

export async function consoleSection(over: Partial<ConsoleConfig> = {}): Promise<ConsoleConfig> {
  return {
    listen: '127.0.0.1:0',
    allowPublic: false,
    users: [{ name: 'tech', passwordHash: await hashPassword(PASSWORD, FAST) }],
    apiTokens: [{ name: 'cli', tokenHash: hashToken(API_TOKEN) }],
    metricsTokenHash: hashToken(METRICS_TOKEN),
    sessionTtlMs: 3_600_000,
    loginMaxFailures: 5,
    loginLockoutMs: 900_000,
    ...over,
  };
}

/** A logger whose output the test can read (to prove secrets stay out of it). */
export function capturedLog(): { log: Logger; text: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), text: () => text };
}

export function fakeConfig(): GatewayConfig {
  return parseConfig(
    YAML.stringify({
      gateway: { id: 'gw-web' },
      storage: { path: '/nonexistent/never-opened.db' },
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      buses: [
        { id: 'b1', type: 'tcp', host: '127.0.0.1', port: 1502 },
        { id: 'rs1', type: 'rtu', path: '/dev/ttyGATEWAY0' },
      ],
      meters: [
        { id: 'm1', bus: 'b1', unit: 1, profile: 'sdm630' },
        { id: 'm2', bus: 'rs1', unit: 2, profile: 'sdm120' },
      ],
    }),
    'web-test',
  );
}

export function fakeStatus(over: Partial<GatewayStatus> = {}): GatewayStatus {
  const now = Date.UTC(2026, 0, 5, 12);
  return {
    gateway: 'gw-web',
    version: '0.1.0',
    startedAt: now - 60_000,
    uptimeMs: 60_000,
    clock: { now, iso: new Date(now).toISOString() },
    buses: [
      { bus: 'b1', transactions: 120, queueDepth: 1, successRate: 0.98, errors: { E_MODBUS_TIMEOUT: 2 }, metersOk: 1, metersLost: 0 },
      { bus: 'rs1', transactions: 40, queueDepth: 0, successRate: 0.5, errors: { E_MODBUS_CRC: 3, E_MODBUS_TIMEOUT: 17 }, metersOk: 0, metersLost: 1 },
    ],
    meters: [
      { meter: 'm1', bus: 'b1', state: 'ok', polls: 60, successes: 58, failures: 2, errors: { E_MODBUS_TIMEOUT: 2 }, consecutiveFailures: 0, lastLatencyMs: 12.5, avgLatencyMs: 11, lastSeen: now - 1000, lastError: null, backoffMs: 0, latest: { meter: 'm1', ts: now - 1000, values: { power: 1520.5, energyImport: 123456 } } },
      { meter: 'm2', bus: 'rs1', state: 'lost', polls: 20, successes: 0, failures: 20, errors: { E_MODBUS_CRC: 3, E_MODBUS_TIMEOUT: 17 }, consecutiveFailures: 20, lastLatencyMs: null, avgLatencyMs: null, lastSeen: null, lastError: 'E_MODBUS_TIMEOUT: no reply', backoffMs: 8000, latest: null },
    ],
    outbox: { readings: 1500, readingBytes: 180_000, events: 3, dropped: 7 },
    uplink: { connected: false, lastConnectedAt: null, lastDisconnectedAt: null, lastError: 'ECONNREFUSED', inflight: 0, connects: 2, reconnects: 5, nextReconnectInMs: 800, published: { readings: 900, readingMessages: 30, events: 4, health: 12 } },
    ...over,
  };
}

export interface FakeGateway extends ConsoleHost {
  observers: Set<GatewayObserver>;
}

export function fakeHost(log: Logger = pino({ level: 'silent' }), status: () => GatewayStatus = () => fakeStatus()): FakeGateway {
  return { config: fakeConfig(), log, credit: undefined, observers: new Set(), status: async () => status() };
}

/** A console on 127.0.0.1 (port chosen by the OS), its session store in a temp dir, closed in teardown. */
export async function startFakeConsole(t: ExecutionContext, o: { cfg?: Partial<ConsoleConfig>; host?: FakeGateway; opts?: ConsoleOptions } = {}): Promise<{ console: WebConsole; host: FakeGateway; url: string }> {
  const host = o.host ?? fakeHost();
  const c = await startConsole(host, await consoleSection(o.cfg), { storePath: join(tempDir(t), 'console.db'), ...o.opts });
  let closed = false;
  const close = c.close.bind(c);
  c.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  t.teardown(() => c.close());
  return { console: c, host, url: c.url };
}

/** Log in; returns the Cookie header and the session's CSRF token. */
export async function loginFull(url: string, user = 'tech', password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const r = await http(`${url}/api/login`, { body: { user, password } });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
  return { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: r.body.csrfToken };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export async function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown; raw?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | undefined = init.raw;
  if (init.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(init.body);
  }
  const res = await fetch(url, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Log in; returns the Cookie header value to send back. */
export async function login(url: string, user = 'tech', password = PASSWORD): Promise<string> {
  const r = await http(`${url}/api/login`, { body: { user, password } });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
  return r.headers.get('set-cookie')!.split(';')[0]!;
}
