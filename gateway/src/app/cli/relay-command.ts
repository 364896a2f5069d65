/**
 * `prepaid-gateway relay open|close|status --meter ID`: directly on the bus, verified by readback,
 * audited. While the gateway service runs it owns the relays and the database: the command then
 * goes through its control API (PREPAID_GATEWAY_API_TOKEN), or is refused; it never drives the bus
 * behind the service's back (the service would re-assert its own state) nor writes into its database.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import { loadConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import type { SupplyState } from '../../core/credit/contracts.js';
import { auditTechnician } from './audit.js';
import { confirm } from './confirm.js';
import { DirectBuses } from './direct-bus.js';
import { API_TOKEN_ENV } from './credit-command.js';
import { guarded } from './fail.js';
import { getFromGateway, ownerPid, postToGateway } from './gateway-api.js';

const TARGET: Readonly<Record<string, SupplyState>> = { open: 'disconnected', close: 'connected' };

export function relayCommand(action: string, o: { config: string; meter: string; yes?: boolean }): Promise<void> {
  return guarded(async () => {
    if (action !== 'status' && !(action in TARGET)) throw new PrepaidError('E_CONFIG_INVALID', `relay: action "${action}" is not open, close or status`, { path: 'action' });
    const cfg = loadConfig(o.config);
    const pid = ownerPid(cfg.storage.path);
    if (pid !== undefined) return throughService(cfg, pid, action, o);
    const buses = new DirectBuses(cfg);
    try {
      const relay = buses.relay(o.meter);
      if (action === 'status') {
        const s = await relay.read();
        process.stdout.write(`${o.meter}: ${s.state}\n`);
        return;
      }
      const target = TARGET[action]!;
      const verb = action === 'open' ? 'OPEN the relay (cut the supply) of' : 'CLOSE the relay (restore the supply) of';
      if (!o.yes && !(await confirm(`${verb} meter ${o.meter}?`))) {
        process.stderr.write('cancelled\n');
        process.exitCode = 1;
        return;
      }
      let readback: SupplyState | undefined;
      let error: unknown;
      try {
        readback = (await relay.set(target, 'technician')).state;
      } catch (e) {
        error = e;
      }
      const recorded = await auditTechnician(cfg, o.meter, `relay-${action}`, { target, readback: readback ?? null, ...(error ? { error: (error as { code?: string }).code ?? (error as Error).message } : {}) }).catch((e) => {
        process.stderr.write(`warning: audit not recorded: ${(e as Error).message}\n`);
        return true;
      });
      if (!recorded) process.stderr.write(`note: no database at ${cfg.storage.path} yet: audit not recorded\n`);
      if (error) throw error;
      process.stdout.write(`${o.meter}: ${readback} (verified by readback)\n`);
    } finally {
      await buses.close();
    }
  });
}

interface RelayReply {
  readback?: SupplyState | null;
  verified?: boolean;
  heldUntil?: number | null;
  error?: { code?: string; message?: string };
  code?: string;
  message?: string;
}

/** The running service switches (or reads) the relay; without a way to reach it, refuse. */
async function throughService(cfg: GatewayConfig, pid: number, action: string, o: { meter: string; yes?: boolean }): Promise<void> {
  const token = process.env[API_TOKEN_ENV];
  const refuse = (why: string) =>
    new PrepaidError('E_STORE_OPEN', `relay: the gateway service${pid ? ` (pid ${pid})` : ""} is running and owns the relays and ${cfg.storage.path}; ${why}`, { path: cfg.storage.path, pid });
  if (!cfg.console) throw refuse('it has no control API (console.listen): use the web console, or stop the service first');
  if (!token) throw refuse(`set ${API_TOKEN_ENV} to one of its console.apiTokens to switch through it, or use the web console`);
  if (!cfg.meters.some((m) => m.id === o.meter)) throw new PrepaidError('E_CONFIG_INVALID', `--meter: no meter "${o.meter}" in the configuration (meters: ${cfg.meters.map((m) => m.id).join(', ')})`, { path: 'meter', meter: o.meter });
  if (action === 'status') {
    const r = (await getFromGateway(cfg, '/api/meters', token)) as { meters?: Array<{ id: string; relay?: { readback: SupplyState | null } }> } | undefined;
    if (!r) throw refuse(`its control API at ${cfg.console.listen} did not answer`);
    const m = r.meters?.find((x) => x.id === o.meter);
    process.stdout.write(`${o.meter}: ${m?.relay?.readback ?? 'unknown'} (last reading of the running gateway)\n`);
    return;
  }
  const target = TARGET[action]!;
  const verb = action === 'open' ? 'OPEN the relay (cut the supply) of' : 'CLOSE the relay (restore the supply) of';
  if (!o.yes && !(await confirm(`${verb} meter ${o.meter}, through the running gateway?`))) {
    process.stderr.write('cancelled\n');
    process.exitCode = 1;
    return;
  }
  const r = (await postToGateway(cfg, `/api/meters/${encodeURIComponent(o.meter)}/relay`, { state: target, confirm: true }, token)) as RelayReply | undefined;
  if (!r) throw refuse(`its control API at ${cfg.console.listen} did not answer`);
  if (r.verified) {
    process.stdout.write(`${o.meter}: ${r.readback} (through the running gateway, verified by readback${r.heldUntil ? `; held until ${new Date(r.heldUntil).toISOString()}` : ''})\n`);
    return;
  }
  const code = r.error?.code ?? r.code ?? 'E_RELAY_MISMATCH';
  throw new PrepaidError(code as 'E_RELAY_MISMATCH', `${o.meter}: ${r.error?.message ?? r.message ?? 'the running gateway did not confirm the relay'} (readback ${r.readback ?? 'unknown'})`, { meter: o.meter });
}
