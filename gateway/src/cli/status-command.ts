/** `prepaid-gateway status`: what the config says, what the database holds, what the running gateway reports. */
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../config/types.js';
import { API_TOKEN_ENV } from './credit-command.js';
import { summarize, type DbSummary } from './db-peek.js';
import { guarded } from './fail.js';
import { getFromGateway, ownerPid } from './gateway-api.js';

export interface StatusReport {
  gateway: string;
  clock: { now: string; timezone: string };
  service: { running: boolean; pid: number | null; api: unknown };
  buses: Array<{ id: string; type: string; where: string; meters: number }>;
  meters: Array<{ id: string; bus: string; address: string; profile: string }>;
  database: ({ path: string } & DbSummary) | { path: string; missing: true };
  uplink: { url: string; state: unknown };
}

export async function gatherStatus(cfg: GatewayConfig, now = Date.now()): Promise<StatusReport> {
  const pid = ownerPid(cfg.storage.path) ?? null;
  const api = await getFromGateway(cfg, '/api/status', process.env[API_TOKEN_ENV]).catch((e: Error) => ({ error: e.message }));
  const db = existsSync(cfg.storage.path) ? { path: cfg.storage.path, ...(await summarize(cfg.storage.path)) } : { path: cfg.storage.path, missing: true as const };
  const uplinkState = api && typeof api === 'object' && 'uplink' in api ? (api as { uplink: unknown }).uplink : pid !== null ? 'unknown (control API not reachable)' : 'gateway not running';
  return {
    gateway: cfg.gateway.id,
    clock: { now: new Date(now).toISOString(), timezone: cfg.gateway.timezone },
    service: { running: pid !== null, pid, api: api ?? null },
    buses: cfg.buses.map((b) => ({ id: b.id, type: b.type, where: b.type === 'tcp' ? `${b.host}:${b.port}` : `${b.path} ${b.baudRate} ${b.parity}`, meters: cfg.meters.filter((m) => m.bus === b.id).length })),
    meters: cfg.meters.map((m) => ({ id: m.id, bus: m.bus, address: m.address ?? String(m.unit), profile: m.profile })),
    database: db,
    uplink: { url: cfg.mqtt.url.replace(/\/\/[^@/]*@/, '//***@'), state: uplinkState },
  };
}

export function formatStatus(s: StatusReport): string {
  const out = [`gateway ${s.gateway}   clock ${s.clock.now} (${s.clock.timezone})`];
  out.push(`service: ${s.service.running ? `running (pid ${s.service.pid})` : 'not running'}`);
  out.push(`uplink:  ${s.uplink.url}  ${typeof s.uplink.state === 'string' ? s.uplink.state : JSON.stringify(s.uplink.state)}`);
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

export function statusCommand(o: { config: string; json?: boolean }): Promise<void> {
  return guarded(async () => {
    const s = await gatherStatus(loadConfig(o.config));
    process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
  });
}
