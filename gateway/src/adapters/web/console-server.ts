/**
 * The gateway's local HTTP server: the web console page, the JSON control API and /metrics.
 * Every /api route but login needs a session cookie or a bearer token; state-changing requests
 * accept JSON bodies only and, from a browser session, only with the session's CSRF token and
 * (when the browser says where it comes from) from the console's own origin.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { PrepaidError, systemClock, type Clock } from '@prepaid-edge/protocols';
import type { Db } from '../store/sqlite.js';
import { ConsoleAuth, clearedCookie, sessionCookie, validCsrf, type Principal } from './auth.js';
import { consoleStorePath, openConsoleStore } from './console-store.js';
import { listenAddress } from './console-config.js';
import { type ConsoleConfig } from '../../core/config/gateway-config.js';
import { EventRing } from './event-ring.js';
import { HistoryRing } from './history.js';
import { GatewayMetrics } from './metrics.js';
import { ScanJobs, type ScanRunner } from './scan-jobs.js';
import { loadAssets } from './static-assets.js';
import { registerApiRoutes } from './api-routes.js';
import { httpError } from './http-error.js';
import type { ConsoleHost, RequestContext } from './console-host.js';
import type { GatewayObserver } from './gateway-status.js';
import { EMPTY_BODY, NO_QUERY, schemaErrorFormatter, validatorCompiler } from './validation.js';

export type { ConsoleHost, RequestContext } from './console-host.js';
export type { GatewayObserver, GatewayStatus } from './gateway-status.js';
export { httpError } from './http-error.js';

export interface ConsoleOptions {
  /** Wall time for sessions, lockouts and scan jobs (default: the host's clock, else the system clock). */
  clock?: Clock;
  /** History bucket (ms, default 60 s) and count (default 360: 6 h). */
  historyBucketMs?: number;
  historyBuckets?: number;
  /** The scan engine (default: gateway/src/scan). */
  scanRunner?: () => Promise<ScanRunner>;
  /** Session store file (default: console-store.ts's name beside the gateway database). */
  storePath?: string;
}

export interface WebConsole {
  /** http://host:port of the bound server. */
  url: string;
  port: number;
  metrics: GatewayMetrics;
  history: HistoryRing;
  events: EventRing;
  auth: ConsoleAuth;
  scans: ScanJobs;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

async function defaultScanRunner(): Promise<ScanRunner> {
  const { consoleScanRunner } = await import('./scan-adapter.js');
  return consoleScanRunner;
}

export async function startConsole(host: ConsoleHost, cfg: ConsoleConfig, opts: ConsoleOptions = {}): Promise<WebConsole> {
  const addr = listenAddress(cfg);
  const clock = opts.clock ?? host.clock ?? systemClock;
  const now = () => clock.now();
  const log = host.log.child({ component: 'console' });
  const storePath = opts.storePath ?? consoleStorePath(host.config.storage.path);
  const db: Db = await openConsoleStore(storePath, (why, movedTo) => log.warn({ file: storePath, movedTo, why }, 'console session store was damaged: moved aside, everyone must log in again'), now);
  let auth: ConsoleAuth;
  try {
    auth = new ConsoleAuth(cfg, db, now);
    const ended = await auth.sessions.prune();
    if (ended > 0) log.info({ ended }, 'console sessions ended while stopped (expired, idle or password changed)');
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  const metrics = new GatewayMetrics({ status: () => host.status() });
  const history = new HistoryRing(opts.historyBucketMs, opts.historyBuckets);
  const events = new EventRing();
  const scans = new ScanJobs({ runner: opts.scanRunner ?? defaultScanRunner, buses: host.config.buses, clock });
  const observer: GatewayObserver = {
    reading: (r, h) => {
      history.add(r);
      metrics.onReading(r, h?.bus, h?.lastLatencyMs);
    },
    event: (e) => {
      events.push(e);
      metrics.onEvent(e);
    },
  };
  host.observers.add(observer);
  const assets = loadAssets();

  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: 256 * 1024,
    schemaErrorFormatter,
  });
  // Unknown keys are errors, not silently dropped; bodies are not coerced, query strings are (validation.ts).
  app.setValidatorCompiler(validatorCompiler);
  // JSON only: a cross-site <form> can post text/plain or urlencoded, never application/json.
  app.removeContentTypeParser('text/plain');

  app.addHook('onSend', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown; context?: unknown }, req, reply) => {
    let status = err.statusCode ?? 500;
    let code = err.code ?? 'E_CONTROL_REQUEST';
    if (err.validation) {
      status = 400;
      code = 'E_CONTROL_REQUEST';
    } else if (err instanceof PrepaidError && err.name !== 'GatewayError') {
      // A request's own fault; a store fault (GatewayError: outbox, sessions) is the server's, a 500.
      status = err.code === 'E_AUTH_REQUIRED' ? 401 : err.code === 'E_AUTH_FAILED' ? 403 : 400;
    } else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      code = 'E_CONTROL_REQUEST';
    } else if (status >= 500) {
      log.error({ err: err.message, url: req.routeOptions.url }, 'console request failed');
    }
    if (code.startsWith('FST_')) code = 'E_CONTROL_REQUEST';
    void reply.status(status).send({ error: { code, message: err.message } });
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.status(404).send({ error: { code: 'E_CONTROL_REQUEST', message: 'no such route' } });
  });

  // Who is asking, for every route; the routes decide what they require.
  app.addHook('onRequest', async (req) => {
    const p = await auth.identify({ cookie: req.headers.cookie, authorization: req.headers.authorization });
    if (p) req.principal = p;
    if (req.method === 'GET' || req.method === 'HEAD' || p?.via !== 'session') return;
    checkOrigin(req);
    // Login has no session yet (and checks the origin itself); everything else must prove it comes from our page.
    if (req.routeOptions.url !== '/api/login' && !validCsrf(p.session!, req.headers['x-csrf-token'])) {
      throw httpError(403, 'E_CSRF_TOKEN', 'x-csrf-token: missing or not this session\'s token (GET /api/session returns it)');
    }
  });

  for (const [route, a] of assets) {
    app.get(route, async (req, reply) => {
      void reply.header('content-type', a.type).header('etag', a.etag);
      if (req.headers['if-none-match'] === a.etag) return reply.status(304).send();
      return reply.send(a.body);
    });
  }

  app.post<{ Body: { user: string; password: string } }>(
    '/api/login',
    { schema: { querystring: NO_QUERY, body: { type: 'object', additionalProperties: false, required: ['user', 'password'], properties: { user: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1024 } } } } },
    async (req, reply) => {
      checkOrigin(req);
      const r = await auth.login(req.ip, req.body.user, req.body.password);
      if (!r.ok) {
        metrics.login(r.reason);
        log.warn({ user: req.body.user, ip: req.ip, result: r.reason }, 'console login refused');
        if (r.reason === 'locked') {
          void reply.header('retry-after', String(Math.ceil(r.retryAfterMs / 1000)));
          throw httpError(429, 'E_AUTH_FAILED', `too many failed logins: try again in ${Math.ceil(r.retryAfterMs / 60_000)} min`);
        }
        throw httpError(401, 'E_AUTH_FAILED', 'wrong user name or password');
      }
      metrics.login('ok');
      log.info({ user: r.session.user, ip: req.ip, session: r.session.id }, 'console login');
      void reply.header('set-cookie', sessionCookie(r.token, r.session, now(), req.protocol === 'https'));
      return { user: r.session.user, expiresAt: r.session.expiresAt, idleExpiresAt: r.session.idleExpiresAt, csrfToken: r.session.csrfToken };
    },
  );

  app.post('/api/logout', { schema: { querystring: NO_QUERY, body: EMPTY_BODY } }, async (req, reply) => {
    if (req.principal?.session) await auth.sessions.revoke(req.principal.session.id);
    void reply.header('set-cookie', clearedCookie());
    return { ok: true };
  });

  // Unauthenticated, for `prepaid-gateway status` without a token and for supervisors: is it up, is the uplink connected.
  app.get('/api/health', { schema: { querystring: NO_QUERY } }, async () => {
    const st = await host.status();
    return { gateway: st.gateway, version: st.version, uptimeMs: st.uptimeMs, uplink: { connected: st.uplink.connected } };
  });

  app.get('/metrics', { schema: { querystring: NO_QUERY } }, async (req, reply) => {
    if (!req.principal) {
      void reply.header('www-authenticate', 'Bearer realm="prepaid-gateway"');
      throw httpError(401, 'E_AUTH_REQUIRED', 'metrics need a bearer token');
    }
    void reply.header('content-type', metrics.contentType);
    return reply.send(await metrics.text());
  });

  const ctx: RequestContext = { host, auth, metrics, history, events, scans, now };
  await app.register(async (api) => {
    api.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.url === '/api/login' || req.routeOptions.url === '/api/logout') return;
      if (!req.principal || req.principal.via === 'metrics-token') {
        void reply.header('www-authenticate', 'Bearer realm="prepaid-gateway"');
        throw httpError(401, 'E_AUTH_REQUIRED', 'log in or send a bearer token');
      }
    });
    registerApiRoutes(api, ctx);
  });

  try {
    await app.listen({ host: addr.host, port: addr.port });
  } catch (e) {
    host.observers.delete(observer);
    await app.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw e;
  }
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : addr.port;
  const url = `http://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${port}`;
  log.info({ url, users: cfg.users.length, apiTokens: cfg.apiTokens.length }, 'web console listening');

  return {
    url,
    port,
    metrics,
    history,
    events,
    auth,
    scans,
    close: async () => {
      host.observers.delete(observer);
      await scans.close();
      await app.close();
      await db.close();
    },
  };
}

/** A browser session may change state only from the console's own page (CSRF defence with SameSite=Strict). */
function checkOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) {
    // Non-browser clients send no Origin; a browser sends Sec-Fetch-Site, which must then be same-origin.
    const site = req.headers['sec-fetch-site'];
    if (site === undefined || site === 'same-origin' || site === 'none') return;
    throw httpError(403, 'E_AUTH_FAILED', 'cross-site request refused');
  }
  const host = req.headers.host;
  if (!host || (origin !== `http://${host}` && origin !== `https://${host}`)) throw httpError(403, 'E_AUTH_FAILED', 'cross-origin request refused');
}

export type { FastifyReply };
