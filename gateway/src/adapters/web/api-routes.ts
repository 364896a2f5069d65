/** The JSON control API (all routes need a session or a bearer token; see README.md). */
import type { FastifyInstance } from 'fastify';
import type { SupplyState } from '../../core/credit/contracts.js';
import type { Rating } from '../../core/rating/index.js';
import { httpError } from './http-error.js';
import type { RequestContext } from './console-host.js';
import { auditKind, eventKind } from './event-kinds.js';
import type { ScanRequest } from './scan-jobs.js';
import { METER_PARAMS, NO_QUERY, query } from './validation.js';
import { registerStatementRoute } from './statement-route.js';

const RELAY_STATES: Record<number, SupplyState> = { 0: 'disconnected', 1: 'connected', 2: 'ready-for-reconnection' };
const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
/** A technician's trip holds this long (min) unless restored sooner; then the credit rules resume. */
export const RELAY_TEST_HOLD_MIN = 15;

export function registerApiRoutes(api: FastifyInstance, ctx: RequestContext): void {
  const { host } = ctx;

  const none = { schema: { querystring: NO_QUERY } };

  api.get('/api/session', none, async (req) => {
    const s = req.principal!.session;
    return { user: req.principal!.name, via: req.principal!.via, expiresAt: s?.expiresAt ?? null, idleExpiresAt: s?.idleExpiresAt ?? null, ...(s ? { csrfToken: s.csrfToken } : {}), gateway: host.config.gateway.id };
  });

  // Sessions: list, revoke one, revoke all (e.g. a lost laptop). Bearer tokens are config, not sessions.
  api.get('/api/sessions', none, async (req) => ({ sessions: (await ctx.auth.sessions.list()).map((s) => ({ ...s, current: s.id === req.principal!.session?.id })) }));

  api.delete<{ Params: { id: string } }>('/api/sessions/:id', { schema: { querystring: NO_QUERY, params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$' } } } } }, async (req) => {
    if (!(await ctx.auth.sessions.revoke(req.params.id))) throw httpError(404, 'E_CONTROL_REQUEST', `no session with id ${req.params.id}`);
    host.log.info({ by: req.principal!.name, session: req.params.id }, 'console session revoked');
    return { revoked: 1 };
  });

  api.delete<{ Querystring: { user?: string } }>('/api/sessions', { schema: { querystring: query({ user: { type: 'string', minLength: 1, maxLength: 64 } }) } }, async (req) => {
    const revoked = await ctx.auth.sessions.revokeAll(req.query.user);
    host.log.info({ by: req.principal!.name, user: req.query.user ?? '*', revoked }, 'console sessions revoked');
    return { revoked };
  });

  api.get('/api/status', none, async () => host.status());

  registerStatementRoute(api, ctx);

  api.get('/api/meters', none, async () => {
    const s = await host.status();
    const credit = host.credit;
    const accounts = new Map((credit ? await credit.accounts(ctx.now()) : []).map((a) => [a.meter, a]));
    const ratings = new Map((host.rating?.ratings() ?? []).map((r) => [r.meter, r]));
    return {
      ts: s.clock.now,
      buses: s.buses,
      meters: host.config.meters.map((m) => {
        const h = s.meters.find((x) => x.meter === m.id);
        const a = accounts.get(m.id);
        const rs = h?.latest?.values.relayState;
        return {
          id: m.id,
          bus: m.bus,
          ...(m.address ? { address: m.address } : { unit: m.unit }),
          profile: m.profile,
          pollMs: m.pollMs,
          health: h ? { state: h.state, lastSeen: h.lastSeen, polls: h.polls, successes: h.successes, failures: h.failures, errors: h.errors, lastLatencyMs: h.lastLatencyMs, avgLatencyMs: h.avgLatencyMs, lastError: h.lastError, backoffMs: h.backoffMs } : null,
          latest: h?.latest ? { ts: h.latest.ts, values: h.latest.values } : null,
          relay: { readback: typeof rs === 'number' ? (RELAY_STATES[rs] ?? null) : null, controllable: Boolean(credit?.controllable(m.id)) },
          credit: a
            ? {
                customer: a.customer,
                balance: a.balance,
                creditUnit: a.creditUnit,
                ...(a.currency ? { currency: a.currency } : {}),
                subunitsPerUnit: a.subunitsPerUnit,
                supply: a.supply,
                emergency: a.emergency,
                disconnectAt: a.disconnectAt,
                override: a.override,
              }
            : null,
          ...(ratings.has(m.id) ? { rating: ratingView(ratings.get(m.id)!) } : {}),
        };
      }),
    };
  });

  api.get<{ Params: { id: string }; Querystring: { hours: number } }>(
    '/api/meters/:id/history',
    { schema: { params: METER_PARAMS, querystring: query({ hours: { type: 'number', minimum: 0.01, maximum: 24, default: 6 } }) } },
    async (req) => {
      const meter = knownMeter(ctx, req.params.id);
      return { meter, bucketMs: ctx.history.bucketMs, points: ctx.history.series(meter, ctx.now() - req.query.hours * 3_600_000) };
    },
  );

  api.get<{ Querystring: { limit: number; after: number; routine: boolean } }>(
    '/api/events',
    { schema: { querystring: query({ limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 }, after: { type: 'integer', minimum: 0, default: 0 }, routine: { type: 'boolean', default: false } }) } },
    async (req) => {
      const { limit, after, routine } = req.query;
      const shown = <T extends { kind: string }>(xs: T[]) => (routine ? xs : xs.filter((x) => x.kind !== 'routine'));
      const events = shown(ctx.events.latest(500, after).map((e) => ({ ...e, kind: eventKind(e.type) })));
      // Routine rows (a charge per meter per minute) can fill the ledger's tail: read deeper when they are hidden.
      const rows = host.credit ? await host.credit.latestAudit(routine ? limit : Math.min(5000, limit * 20)) : [];
      const audit = shown(rows.map((a) => ({ ...a, kind: auditKind(a.action) })));
      return { events: events.slice(-limit), audit: audit.slice(-limit), routine };
    },
  );

  api.post<{ Params: { id: string }; Body: { state: 'connected' | 'disconnected'; confirm: boolean; holdMinutes?: number } }>(
    '/api/meters/:id/relay',
    {
      schema: {
        params: METER_PARAMS,
        querystring: NO_QUERY,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['state', 'confirm'],
          properties: { state: { enum: ['connected', 'disconnected'] }, confirm: { const: true }, holdMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: RELAY_TEST_HOLD_MIN } },
        },
      },
    },
    async (req, reply) => {
      const meter = knownMeter(ctx, req.params.id);
      const credit = host.credit;
      if (!credit) throw httpError(409, 'E_RELAY_UNSUPPORTED', 'relays are driven by the credit runtime: this gateway has no credit section');
      if (!credit.controllable(meter)) throw httpError(409, 'E_RELAY_UNSUPPORTED', `meter ${meter} has no relay driver`);
      const user = req.principal!.name;
      const cause = `technician:${user}`;
      const target = req.body.state;
      host.log.info({ meter, user, target }, 'technician relay command');
      const r = await credit.technicianRelay(meter, target, cause, ctx.now() + (req.body.holdMinutes ?? RELAY_TEST_HOLD_MIN) * 60_000);
      const verified = r.readback === target;
      if (!verified) void reply.status(r.heldByRules ? 409 : 502);
      return {
        meter,
        target,
        readback: r.readback ?? null,
        verified,
        cause,
        heldUntil: r.heldUntil ?? null,
        ...(verified ? {} : { error: r.heldByRules ? { code: 'E_RELAY_REFUSED', message: `the credit rules keep ${meter} ${r.heldByRules}; top up first` } : { code: 'E_RELAY_MISMATCH', message: 'the relay did not confirm the state; see the event log' } }),
      };
    },
  );

  // The envelope's own fields are checked by the command layer, with its E_COMMAND_* codes.
  api.post('/api/commands', { schema: { querystring: NO_QUERY, body: { type: 'object' } } }, async (req, reply) => {
    const credit = host.credit;
    if (!credit) throw httpError(409, 'E_COMMAND_UNKNOWN_TYPE', 'this gateway has no credit section: it executes no commands');
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw httpError(400, 'E_COMMAND_MALFORMED', 'body: must be a signed command object');
    const outcome = await credit.handleCommand(JSON.stringify(req.body));
    if (outcome.status === 'rejected') void reply.status(422);
    return outcome;
  });

  api.get('/api/scan', none, async () => ({
    busyPaths: host.config.buses.flatMap((b) => ('path' in b ? [b.path] : [])),
    jobs: ctx.scans.list(),
  }));

  api.post<{ Body: Partial<ScanRequest> & { path: string } }>(
    '/api/scan',
    {
      schema: {
        querystring: NO_QUERY,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: {
            path: { type: 'string', minLength: 1, maxLength: 256, pattern: '^/' },
            protocol: { enum: ['modbus', 'dlt645'], default: 'modbus' },
            baudRates: { type: 'array', minItems: 1, maxItems: 8, uniqueItems: true, items: { enum: BAUD_RATES }, default: [9600] },
            parities: { type: 'array', minItems: 1, maxItems: 3, uniqueItems: true, items: { enum: ['none', 'even', 'odd'] }, default: ['none'] },
            units: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: { type: 'integer', minimum: 1, maximum: 247 }, to: { type: 'integer', minimum: 1, maximum: 247 } }, default: { from: 1, to: 247 } },
            timeoutMs: { type: 'integer', minimum: 20, maximum: 5000 },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as ScanRequest;
      if (b.units.to < b.units.from) throw httpError(400, 'E_CONTROL_REQUEST', 'units.to: must be >= units.from');
      const job = ctx.scans.start(b, req.principal!.name);
      host.log.info({ user: req.principal!.name, serial: b.path, scan: job.id }, 'scan started');
      void reply.status(202);
      return job;
    },
  );

  api.get<{ Params: { id: string } }>('/api/scan/:id', { schema: { querystring: NO_QUERY, params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } } }, async (req) => {
    const job = ctx.scans.get(req.params.id);
    if (!job) throw httpError(404, 'E_CONTROL_REQUEST', `no scan with id ${req.params.id}`);
    return job;
  });
}

function knownMeter(ctx: RequestContext, id: string): string {
  if (!ctx.host.config.meters.some((m) => m.id === id)) throw httpError(404, 'E_CONTROL_REQUEST', `no meter with id ${id}`);
  return id;
}

/** A meter's credit rating as the console shows it: score, class, band and the factors with points. */
function ratingView(r: Rating): { score: number; grade: string; band: string; ts: number; factors: Array<{ factor: string; points: number }> } {
  return { score: r.score, grade: r.grade, band: r.band, ts: r.ts, factors: r.factors.map((f) => ({ factor: f.factor, points: f.points })) };
}
