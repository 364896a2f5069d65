/**
 * Byte links an RTU master talks through: a serial device (serialport) or a TCP socket to an
 * Ethernet-to-RS-485 converter (RTU frames with CRC over TCP). Each open gives a fresh link; the
 * master drops it when it fails and opens another on the next request.
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import type { Clock } from '@prepaid-edge/protocols';
import type { Parity } from '../../core/config/gateway-config.js';

export interface LinkHandlers {
  data(chunk: Buffer): void;
  /** The link went away (device unplugged, socket closed); not called after close(). */
  closed(err?: Error): void;
}

export interface ByteLink {
  write(bytes: Buffer): void;
  close(): Promise<void>;
}

export type LinkOpener = (h: LinkHandlers) => Promise<ByteLink>;

export function serialLink(opts: { path: string; baudRate: number; parity: Parity; stopBits: 1 | 2 }): LinkOpener {
  return (h) =>
    new Promise<ByteLink>((resolve, reject) => {
      let open = false;
      let closing = false;
      const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate, parity: opts.parity, stopBits: opts.stopBits, dataBits: 8, autoOpen: false });
      port.on('data', (b: Buffer) => h.data(b));
      port.on('error', (e: Error) => {
        if (open && !closing) {
          closing = true;
          h.closed(e);
          if (port.isOpen) port.close(() => {});
        }
      });
      port.on('close', (e?: Error) => {
        if (open && !closing) {
          closing = true;
          h.closed(e ?? new Error('serial port closed'));
        }
      });
      port.open((err) => {
        if (err) return reject(err);
        open = true;
        resolve({
          write: (bytes) => void port.write(bytes),
          close: () =>
            new Promise<void>((r) => {
              closing = true;
              if (!port.isOpen) return r();
              port.close(() => r());
            }),
        });
      });
    });
}

export function tcpLink(opts: { host: string; port: number; connectTimeoutMs: number; clock: Clock }): LinkOpener {
  return (h) =>
    new Promise<ByteLink>((resolve, reject) => {
      const sock = net.connect({ host: opts.host, port: opts.port, noDelay: true });
      let up = false;
      let closing = false;
      const timer = opts.clock.setTimeout(() => sock.destroy(new Error(`connect to ${opts.host}:${opts.port} timed out`)), opts.connectTimeoutMs);
      sock.on('data', (b) => h.data(b));
      sock.on('error', (e) => {
        if (!up) {
          opts.clock.clearTimeout(timer);
          reject(e);
        }
      });
      sock.on('close', () => {
        opts.clock.clearTimeout(timer);
        if (up && !closing) {
          closing = true;
          h.closed(new Error('connection closed by peer'));
        }
      });
      sock.on('connect', () => {
        opts.clock.clearTimeout(timer);
        up = true;
        sock.setKeepAlive(true, 10_000);
        resolve({
          write: (bytes) => void sock.write(bytes),
          close: () =>
            new Promise<void>((r) => {
              closing = true;
              if (sock.destroyed) return r();
              sock.once('close', () => r());
              sock.destroy();
            }),
        });
      });
    });
}
