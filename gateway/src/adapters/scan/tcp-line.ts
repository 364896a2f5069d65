/**
 * The scan's line over an Ethernet-to-RS-485 converter (RTU frames over TCP, the `rtu-over-tcp`
 * bus): `--path tcp://host:port`. The converter's serial side has its own fixed baud rate and
 * parity, so a scan over TCP tries one line setting only (the first of --bauds / --parity).
 */
import net from 'node:net';
import { PrepaidError, systemClock, type Clock, type TimerHandle } from '@prepaid-edge/protocols';
import type { Exchange, ScanLine } from './types.js';

export function parseTcpPath(path: string): { host: string; port: number } | undefined {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(path);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!.replace(/^\[|\]$/g, ''), port } : undefined;
}

export async function openTcpLine(path: string, clock: Clock = systemClock): Promise<ScanLine> {
  const at = parseTcpPath(path);
  if (!at) throw new PrepaidError('E_CONFIG_INVALID', `"${path}" is not tcp://host:port`, { path: 'path' });
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: at.host, port: at.port, noDelay: true });
    const t = clock.setTimeout(() => s.destroy(new Error('connect timed out')), 5000);
    s.once('error', (e) => {
      clock.clearTimeout(t);
      reject(new PrepaidError('E_BUS_UNAVAILABLE', `cannot connect to ${at.host}:${at.port}: ${e.message}`, { path }, { cause: e }));
    });
    s.once('connect', () => {
      clock.clearTimeout(t);
      resolve(s);
    });
  });
  let buf = Buffer.alloc(0);
  let onData: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    onData?.();
  });
  sock.on('error', () => undefined); // surfaces as silence on the exchange in flight

  return {
    exchange(request, timeoutMs, complete): Promise<Exchange> {
      const late: Buffer[] = buf.length ? [buf] : [];
      buf = Buffer.alloc(0);
      return new Promise<Exchange>((resolve) => {
        let timer: TimerHandle | undefined;
        const finish = (x: Exchange) => {
          clock.clearTimeout(timer);
          onData = undefined;
          resolve(late.length ? { ...x, late } : x);
        };
        onData = () => {
          for (;;) {
            const verdict = complete(buf);
            if (verdict === 'done') return finish({ kind: 'reply', bytes: buf });
            if (verdict === 'garbled') return finish({ kind: 'garbled', bytes: buf });
            if (verdict === 'more') return;
            late.push(buf.subarray(0, verdict.skip));
            buf = buf.subarray(verdict.skip);
          }
        };
        sock.write(request);
        timer = clock.setTimeout(() => finish(buf.length ? { kind: 'garbled', bytes: buf } : { kind: 'silence' }), timeoutMs);
      });
    },
    async drain(ms) {
      await new Promise<void>((r) => clock.setTimeout(r, ms));
      const late = buf.length ? [buf] : [];
      buf = Buffer.alloc(0);
      return late;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (sock.destroyed) return resolve();
        sock.once('close', () => resolve());
        sock.destroy();
      }),
  };
}
