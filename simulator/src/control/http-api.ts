/**
 * A small authenticated HTTP API on loopback for tests and the CLI: read true state, change load,
 * inject and clear faults, flip relays. Every request needs `Authorization: Bearer <token>`;
 * the token is compared in constant time and never logged.
 */
import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Simulator } from '../simulator.js';
import type { Logger } from '../log.js';

export interface ControlApiOptions {
  port: number;
  host?: string;
  token: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export class ControlApi {
  private server: http.Server | undefined;
  constructor(
    private readonly sim: Simulator,
    private readonly log?: Logger,
  ) {}

  async listen(opts: ControlApiOptions): Promise<number> {
    if (opts.token.length < 16) throw new RangeError('control token must be at least 16 characters');
    const want = digest(opts.token);
    this.server = http.createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      if (!timingSafeEqual(digest(given), want)) return send(res, 401, { error: 'E_CONTROL_AUTH', message: 'missing or wrong bearer token' });
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
        if (body.length > 65536) req.destroy();
      });
      req.on('end', () => {
        try {
          const out = this.route(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, body ? JSON.parse(body) : undefined);
          send(res, 200, out ?? { ok: true });
        } catch (e) {
          const err = e as Error & { status?: number };
          send(res, err.status ?? 400, { error: (e as { code?: string }).code ?? 'E_CONTROL_REQUEST', message: err.message });
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
    });
    const port = (this.server.address() as { port: number }).port;
    this.log?.info({ port }, 'control API listening');
    return port;
  }

  private route(method: string, path: string, body: unknown): unknown {
    const parts = path.split('/').filter(Boolean);
    if (parts[0] !== 'v1') throw notFound(path);
    if (method === 'GET' && parts[1] === 'meters' && parts.length === 2) return this.sim.states();
    if (method === 'GET' && parts[1] === 'bus' && parts.length === 2) return { id: this.sim.bus.id, stats: this.sim.bus.stats, simNow: this.sim.clock.now() };
    if (parts[1] !== 'meters' || parts.length < 3) throw notFound(path);
    const unit = Number(parts[2]);
    if (!Number.isInteger(unit)) throw Object.assign(new Error(`meter unit "${parts[2]}" is not a number`), { status: 400 });
    try {
      this.sim.meter(unit);
    } catch {
      throw notFound(path);
    }
    const b = (body ?? {}) as Record<string, unknown>;
    switch (`${method} ${parts[3] ?? ''}`) {
      case 'GET ':
        return this.sim.trueState(unit);
      case 'PUT load':
        this.sim.setLoad(unit, b as never);
        return this.sim.trueState(unit);
      case 'POST faults':
        this.sim.addFault(unit, b as never);
        return this.sim.trueState(unit);
      case 'DELETE faults':
        this.sim.clearFaults(unit);
        return this.sim.trueState(unit);
      case 'PUT relay':
        if (typeof b.closed !== 'boolean') throw Object.assign(new Error('body.closed must be true or false'), { status: 400 });
        this.sim.setRelay(unit, b.closed);
        return this.sim.trueState(unit);
    }
    throw notFound(path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function notFound(path: string): Error {
  return Object.assign(new Error(`no such resource ${path}`), { status: 404 });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
