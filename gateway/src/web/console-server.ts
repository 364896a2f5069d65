/**
 * The gateway's local HTTP server: the web console page, the JSON control API and /metrics.
 * Every /api route but login needs a session cookie or a bearer token; state-changing requests
 * accept JSON bodies only and, from a browser session, only from the console's own origin.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../config/types.js';
import type { CreditRuntime } from '../credit/engine/credit-runtime.js';
import type { Logger } from '../log.js';
import type { MeterHealth } from '../acquisition/health.js';
import type { NewEvent, NewReading } from '../model.js';
import type { GatewayStatus } from '../runtime.js';
import { ConsoleAuth, clearedCookie, sessionCookie, type Principal } from './auth.js';
import { listenAddress, type ConsoleConfig } from './console-config.js';
import { EventRing } from './event-ring.js';
import { HistoryRing } from './history.js';
import { GatewayMetrics } from './metrics.js';
import { ScanJobs, type ScanRunner } from './scan-jobs.js';
import { loadAssets } from './static-assets.js';
import { registerApiRoutes } from './api-routes.js';

/** Sees each reading (with its meter's health) and each event of the gateway. */
export interface GatewayObserver {
  reading?(r: NewReading, health: MeterHealth | undefined): void;
  event?(e: NewEvent): void;
}

/** What the console needs from the gateway (the Gateway class, or a fake in tests). */
export interface ConsoleHost {
  readonly config: GatewayConfig;
  readonly log: Logger;
  readonly credit: CreditRuntime | undefined;
  readonly observers: Set<GatewayObserver>;
  status(): Promise<GatewayStatus>;
}

export interface ConsoleOptions {
  /** Wall clock for sessions and lockouts (tests move it). */
  now?: () => number;
  /** History bucket (ms, default 60 s) and count (default 360: 6 h). */
  historyBucketMs?: number;
  historyBuckets?: number;
  /** The scan engine (default: gateway/src/scan). */
  scanRunner?: () => Promise<ScanRunner>;
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

export interface RequestContext {
  host: ConsoleHost;
  auth: ConsoleAuth;
  metrics: GatewayMetrics;
  history: HistoryRing;
  events: EventRing;
  scans: ScanJobs;
  now: () => number;
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

export function httpError(status: number, code: string, message: string): Error & { statusCode: number; code: string } {
  return Object.assign(new Error(message), { statusCode: status, code });
}

async function defaultScanRunner(): Promise<ScanRunner> {
  const { consoleScanRunner } = await import('./scan-adapter.js');
  return consoleScanRunner;
}

export async function startConsole(host: ConsoleHost, cfg: ConsoleConfig, opts: ConsoleOptions = {}): Promise<WebConsole> {
  const addr = listenAddress(cfg);
  const now = opts.now ?? Date.now;
  const log = host.log.child({ component: 'console' });
  const auth = new ConsoleAuth(cfg, now);
  const metrics = new GatewayMetrics({ status: () => host.status() });
  const history = new HistoryRing(opts.historyBucketMs, opts.historyBuckets);
  const events = new EventRing();
  const scans = new ScanJobs({ runner: opts.scanRunner ?? defaultScanRunner, buses: host.config.buses, now });
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
    // Unknown keys are errors, not silently dropped; no type coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  });
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
    } else if (err instanceof PrepaidError) {
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
    const p = auth.identify({ cookie: req.headers.cookie, authorization: req.headers.authorization });
    if (p) req.principal = p;
    if (req.method !== 'GET' && req.method !== 'HEAD' && p?.via === 'session') checkOrigin(req);
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
    { schema: { body: { type: 'object', additionalProperties: false, required: ['user', 'password'], properties: { user: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1024 } } } } },
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
      log.info({ user: r.session.user, ip: req.ip }, 'console login');
      void reply.header('set-cookie', sessionCookie(r.session, now(), req.protocol === 'https'));
      return { user: r.session.user, expiresAt: r.session.expiresAt };
    },
  );

  app.post('/api/logout', async (req, reply) => {
    if (req.principal?.session) auth.sessions.end(req.principal.session.id);
    void reply.header('set-cookie', clearedCookie());
    return { ok: true };
  });

  app.get('/metrics', async (req, reply) => {
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

  await app.listen({ host: addr.host, port: addr.port });
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
