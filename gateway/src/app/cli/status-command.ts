/** `prepaid-gateway status`: what the config says, what the database holds, what the running gateway reports. */
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import { API_TOKEN_ENV } from './credit-command.js';
import { summarize, type DbSummary } from './db-peek.js';
import { guarded } from './fail.js';
import { systemClock } from '@prepaid-edge/protocols';
import { apiBase, getFromGateway, ownerPid } from './gateway-api.js';

export interface StatusReport {
  gateway: string;
  clock: { now: string; timezone: string };
  service: { running: boolean; pid: number | null; api: unknown };
  buses: Array<{ id: string; type: string; where: string; meters: number }>;
  meters: Array<{ id: string; bus: string; address: string; profile: string }>;
  database: ({ path: string } & DbSummary) | { path: string; missing: true };
  uplink: { url: string; state: unknown };
}

interface Health {
  gateway: string;
  uplink: { connected: boolean };
}

/**
 * What the running gateway says. The full status needs the API token; without it (the usual case
 * for a technician at the console) the unauthenticated /api/health still tells whether the
 * service is up and its uplink connected. Each failure is said as what it is.
 */
async function askGateway(cfg: GatewayConfig, pid: number | null, token: string | undefined): Promise<{ running: boolean; api: unknown; uplink: unknown }> {
  const base = apiBase(cfg);
  if (!base) return { running: pid !== null, api: null, uplink: pid !== null ? 'unknown (no console: section in the config, so no control API to ask)' : 'gateway not running' };
  let health: Health;
  try {
    const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    health = (await res.json()) as Health;
  } catch (e) {
    const why = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    return { running: pid !== null, api: null, uplink: pid !== null ? `unknown (control API at ${base} not reachable: ${why})` : 'gateway not running' };
  }
  if (health.gateway !== cfg.gateway.id) return { running: pid !== null, api: null, uplink: `unknown (${base} answers as gateway ${health.gateway}, not ${cfg.gateway.id})` };
  if (!token) return { running: true, api: null, uplink: { connected: health.uplink.connected, detail: `set ${API_TOKEN_ENV} for the full uplink state` } };
  const api = await getFromGateway(cfg, '/api/status', token).catch((e: Error) => ({ error: e.message }));
  const uplink = api && typeof api === 'object' && 'uplink' in api ? (api as { uplink: unknown }).uplink : { connected: health.uplink.connected, detail: (api as { error?: string } | undefined)?.error ?? 'full status not available' };
  return { running: true, api: api ?? null, uplink };
}

export async function gatherStatus(cfg: GatewayConfig, now = systemClock.now()): Promise<StatusReport> {
  const pid = ownerPid(cfg.storage.path) ?? null;
  const asked = await askGateway(cfg, pid, process.env[API_TOKEN_ENV]);
  const db = existsSync(cfg.storage.path) ? { path: cfg.storage.path, ...(await summarize(cfg.storage.path)) } : { path: cfg.storage.path, missing: true as const };
  const uplinkState = asked.uplink;
  return {
    gateway: cfg.gateway.id,
    clock: { now: new Date(now).toISOString(), timezone: cfg.gateway.timezone },
    service: { running: asked.running, pid, api: asked.api },
    buses: cfg.buses.map((b) => ({ id: b.id, type: b.type, where: b.type === 'tcp' || b.type === 'rtu-over-tcp' ? `${b.host}:${b.port}` : `${b.path} ${b.baudRate} ${b.parity}`, meters: cfg.meters.filter((m) => m.bus === b.id).length })),
    meters: cfg.meters.map((m) => ({ id: m.id, bus: m.bus, address: m.address ?? String(m.unit), profile: m.profile })),
    database: db,
    uplink: { url: cfg.mqtt.url.replace(/\/\/[^@/]*@/, '//***@'), state: uplinkState },
  };
}

export function formatStatus(s: StatusReport): string {
  const out = [`gateway ${s.gateway}   clock ${s.clock.now} (${s.clock.timezone})`];
  out.push(`service: ${s.service.running ? `running${s.service.pid ? ` (pid ${s.service.pid})` : ''}` : 'not running'}`);
  out.push(`uplink:  ${s.uplink.url}  ${uplinkText(s.uplink.state)}`);
  out.push('buses:');
  for (const b of s.buses) out.push(`  ${b.id}  ${b.type}  ${b.where}  ${b.meters} meters`);
  out.push('meters:');
  for (const m of s.meters) out.push(`  ${m.id}  bus ${m.bus}  address ${m.address}  ${m.profile}`);
  if ('missing' in s.database) out.push(`database: ${s.database.path} (not created yet)`);
  else {
    const d = s.database;
    out.push(`database: ${d.path}`);
    out.push(`  outbox: ${d.readings} readings, ${d.events} events waiting${d.oldestReadingTs ? ` (oldest ${new Date(d.oldestReadingTs).toISOString()})` : ''}`);
    for (const a of d.accounts) out.push(`  account ${a.meter}: balance ${a.balance} ${a.creditUnit === 'energy' ? 'Wh' : `${a.currency ?? ''} sub-units`}, supply ${a.supply ?? '?'}`);
  }
  return out.join('\n') + '\n';
}

function uplinkText(state: unknown): string {
  if (typeof state === 'string') return state;
  const u = state as { connected?: boolean; lastError?: string | null; detail?: string };
  if (typeof u?.connected !== 'boolean') return JSON.stringify(state);
  return `${u.connected ? 'connected' : `disconnected${u.lastError ? ` (${u.lastError})` : ''}`}${u.detail ? `  [${u.detail}]` : ''}`;
}

export function statusCommand(o: { config: string; json?: boolean }): Promise<void> {
  return guarded(async () => {
    const s = await gatherStatus(loadConfig(o.config));
    process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
  });
}
