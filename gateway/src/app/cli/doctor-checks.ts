/** The checks of `prepaid-gateway doctor`, each PASS / WARN / FAIL with the reason. */
import { accessSync, constants, existsSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import { integrity } from './db-peek.js';
import { systemClock } from '@prepaid-edge/protocols';
import { ownerPid } from './gateway-api.js';

export type Verdict = 'PASS' | 'WARN' | 'FAIL';
export interface CheckResult {
  check: string;
  verdict: Verdict;
  reason: string;
}

/** Below this the clock cannot be right (this code did not exist yet). */
export const EARLIEST_SANE_MS = Date.UTC(2025, 0, 1);
export const MIN_FREE_BYTES = 64 * 1024 * 1024;

export function checkSerialPorts(cfg: GatewayConfig): CheckResult[] {
  const out: CheckResult[] = [];
  for (const b of cfg.buses) {
    if (b.type === 'tcp' || b.type === 'rtu-over-tcp') continue;
    const check = `serial port ${b.path} (bus ${b.id})`;
    if (!existsSync(b.path)) {
      out.push({ check, verdict: 'FAIL', reason: 'not present: is the RS-485 adapter plugged in (ls /dev/serial/by-id)?' });
      continue;
    }
    try {
      accessSync(b.path, constants.R_OK | constants.W_OK);
    } catch {
      out.push({ check, verdict: 'FAIL', reason: 'no read/write permission: add the service user to the dialout group' });
      continue;
    }
    const pid = ownerPid(cfg.storage.path);
    out.push({ check, verdict: 'PASS', reason: `present, readable and writable${pid !== undefined ? ` (the gateway${pid ? `, pid ${pid},` : ''} is running and holds it)` : ''}` });
  }
  return out;
}

export function checkBroker(cfg: GatewayConfig, timeoutMs = 3000): Promise<CheckResult> {
  const check = 'MQTT broker';
  let url: URL;
  try {
    url = new URL(cfg.mqtt.url);
  } catch {
    return Promise.resolve({ check, verdict: 'FAIL', reason: `mqtt.url is not a URL: ${cfg.mqtt.url}` });
  }
  const secure = ['mqtts:', 'ssl:', 'wss:', 'tls:'].includes(url.protocol);
  const host = url.hostname;
  const port = Number(url.port || (secure ? (url.protocol === 'wss:' ? 443 : 8883) : url.protocol === 'ws:' ? 80 : 1883));
  const where = `${host}:${port}`;
  return new Promise((done) => {
    const finish = (r: CheckResult) => {
      clearTimeout(timer);
      sock.destroy();
      done(r);
    };
    const timer = setTimeout(() => finish({ check, verdict: 'FAIL', reason: `${where}: no answer within ${timeoutMs} ms` }), timeoutMs);
    const tlsOpts = cfg.mqtt.tls;
    const read = (p?: string) => (p ? readFileSync(resolve(p)) : undefined);
    let sock: ReturnType<typeof netConnect>;
    try {
      sock = secure
        ? tlsConnect({ host, port, servername: host, rejectUnauthorized: tlsOpts?.rejectUnauthorized ?? true, ...(tlsOpts?.ca ? { ca: read(tlsOpts.ca) } : {}), ...(tlsOpts?.cert ? { cert: read(tlsOpts.cert) } : {}), ...(tlsOpts?.key ? { key: read(tlsOpts.key) } : {}) })
        : netConnect({ host, port });
    } catch (e) {
      clearTimeout(timer);
      done({ check, verdict: 'FAIL', reason: `${where}: ${(e as Error).message}` });
      return;
    }
    sock.once(secure ? 'secureConnect' : 'connect', () =>
      finish(secure ? { check, verdict: 'PASS', reason: `${where}: reachable, TLS certificate verified` } : { check, verdict: 'WARN', reason: `${where}: reachable, but without TLS (use mqtts:// outside a lab)` }),
    );
    sock.once('error', (e) => finish({ check, verdict: 'FAIL', reason: `${where}: ${e.message}` }));
  });
}

export function checkClock(now: number): CheckResult {
  if (now < EARLIEST_SANE_MS) return { check: 'clock', verdict: 'FAIL', reason: `${new Date(now).toISOString()} is before ${new Date(EARLIEST_SANE_MS).toISOString()}: set the time (NTP or an RTC); tariffs and command windows depend on it` };
  return { check: 'clock', verdict: 'PASS', reason: `${new Date(now).toISOString()}` };
}

export function checkDisk(cfg: GatewayConfig, free?: number): CheckResult {
  const dir = dirname(resolve(cfg.storage.path));
  let bytes = free;
  if (bytes === undefined) {
    let d = dir;
    while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
    const s = statfsSync(d);
    bytes = s.bavail * s.bsize;
  }
  const mb = Math.floor(bytes / 1048576);
  if (bytes < MIN_FREE_BYTES) return { check: `disk space (${dir})`, verdict: 'FAIL', reason: `${mb} MiB free: the outbox cannot buffer an outage` };
  if (bytes < cfg.storage.maxBytes) return { check: `disk space (${dir})`, verdict: 'WARN', reason: `${mb} MiB free, less than storage.maxBytes (${Math.floor(cfg.storage.maxBytes / 1048576)} MiB)` };
  return { check: `disk space (${dir})`, verdict: 'PASS', reason: `${mb} MiB free` };
}

export async function checkDatabase(cfg: GatewayConfig): Promise<CheckResult> {
  const check = `database ${cfg.storage.path}`;
  if (!existsSync(cfg.storage.path)) return { check, verdict: 'WARN', reason: 'does not exist yet (created when the gateway first starts)' };
  if (!statSync(cfg.storage.path).isFile()) return { check, verdict: 'FAIL', reason: 'is not a regular file' };
  try {
    const r = await integrity(cfg.storage.path);
    return r === 'ok' ? { check, verdict: 'PASS', reason: 'integrity_check ok' } : { check, verdict: 'FAIL', reason: `integrity_check: ${r}` };
  } catch (e) {
    return { check, verdict: 'FAIL', reason: `cannot read it as SQLite: ${(e as Error).message}` };
  }
}

export async function runChecks(cfg: GatewayConfig, now = systemClock.now()): Promise<CheckResult[]> {
  const ledger = await (await import('./ledger-command.js')).ledgerVerdict(cfg);
  return [...checkSerialPorts(cfg), await checkBroker(cfg), checkClock(now), checkDisk(cfg), await checkDatabase(cfg), ...(ledger ? [{ check: 'ledger', ...ledger }] : [])];
}
