/** GET /api/meters/:id/statement?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv: a customer statement (authenticated like every /api route). */
import type { FastifyInstance } from 'fastify';
import { isPrepaidError } from '@prepaid-edge/protocols';
import { statementReportCsv } from '../store/ledger/statement-reader.js';
import { httpError } from './http-error.js';
import type { RequestContext } from './console-host.js';
import { METER_PARAMS, query } from './validation.js';

const DATE = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };

export function registerStatementRoute(api: FastifyInstance, ctx: RequestContext): void {
  api.get<{ Params: { id: string }; Querystring: { from: string; to: string; format: 'json' | 'csv' } }>(
    '/api/meters/:id/statement',
    { schema: { params: METER_PARAMS, querystring: { ...query({ from: DATE, to: DATE, format: { enum: ['json', 'csv'], default: 'json' } }), required: ['from', 'to'] } } },
    async (req, reply) => {
      const { host } = ctx;
      if (!host.config.meters.some((m) => m.id === req.params.id)) throw httpError(404, 'E_CONTROL_REQUEST', `no meter with id ${req.params.id}`);
      if (!host.statement || !host.config.credit) throw httpError(409, 'E_LEDGER_UNKNOWN_ACCOUNT', 'this gateway has no credit section: no statements');
      let r;
      try {
        r = await host.statement(req.params.id, req.query.from, req.query.to);
      } catch (e) {
        if (isPrepaidError(e) && e.code === 'E_LEDGER_UNKNOWN_ACCOUNT') throw httpError(404, e.code, e.message);
        if (isPrepaidError(e) && e.code === 'E_LEDGER_MISMATCH') throw httpError(500, e.code, e.message);
        throw e;
      }
      if (req.query.format === 'csv') {
        void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="statement-${r.meter}-${r.from}-${r.to}.csv"`);
        return statementReportCsv(r);
      }
      return r;
    },
  );
}
