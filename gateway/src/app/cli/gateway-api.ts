/** The running gateway, as a technician command sees it: its database owner lock and its control API. */
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import { otherOwner } from '../../adapters/store/owner-lock.js';

/**
 * pid of the other process that holds the database's owner lock (`<db>.lock`), i.e. the running
 * service; 0 when it is held but the OS does not name the holder; undefined when no other process holds it.
 */
export function ownerPid(dbPath: string): number | undefined {
  return otherOwner(dbPath);
}

export function apiBase(cfg: GatewayConfig): string | undefined {
  const listen = cfg.console?.listen;
  if (!listen) return undefined;
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) return undefined;
  const host = m[1] === '0.0.0.0' ? '127.0.0.1' : m[1] === '[::]' ? '[::1]' : m[1];
  return `http://${host}:${m[2]}`;
}

/** JSON from the control API, or undefined when it is not configured or not reachable. Non-2xx JSON replies are returned too. */
async function call(cfg: GatewayConfig, method: 'GET' | 'POST', path: string, token: string | undefined, body?: unknown): Promise<unknown | undefined> {
  const base = apiBase(cfg);
  if (!base || !token) return undefined;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    return undefined; // not running, or not listening
  }
  if (res.status === 401 || res.status === 403) throw new Error(`control API at ${base} refused the token (HTTP ${res.status}); check PREPAID_GATEWAY_API_TOKEN`);
  return res.json().catch(() => undefined);
}

export function postToGateway(cfg: GatewayConfig, path: string, body: unknown, token: string | undefined): Promise<unknown | undefined> {
  return call(cfg, 'POST', path, token, body);
}

export function getFromGateway(cfg: GatewayConfig, path: string, token: string | undefined): Promise<unknown | undefined> {
  return call(cfg, 'GET', path, token);
}
