/** The `console:` section of the gateway configuration (schema: schema/gateway-config.schema.json). */
import { isIP } from 'node:net';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { ConsoleConfig } from '../../core/config/gateway-config.js';


/** `127.0.0.1:8080` -> { host, port }; `[::1]:8080` -> { host: '::1', port }. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new PrepaidError('E_CONFIG_INVALID', `console.listen: "${listen}" is not host:port`, { path: 'console.listen' });
  return { host: (m[1] ?? m[2])!, port };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const v = isIP(host);
  if (v === 4) return host.startsWith('127.');
  if (v === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

/** Where to bind; refuses a public address unless `allowPublic` (the console must not be on the LAN by accident). */
export function listenAddress(cfg: Pick<ConsoleConfig, 'listen' | 'allowPublic'>): { host: string; port: number } {
  const a = parseListen(cfg.listen);
  if (!isLoopback(a.host) && !cfg.allowPublic) {
    throw new PrepaidError('E_CONFIG_INVALID', `console.listen: ${a.host} is not a loopback address; set console.allowPublic: true to serve the console on it`, { path: 'console.listen' });
  }
  return a;
}
