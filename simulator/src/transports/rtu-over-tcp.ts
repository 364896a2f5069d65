/**
 * RTU over TCP in front of a simulated bus, as a cheap Ethernet-to-RS-485 converter presents it:
 * bare RTU frames (unit id + PDU + CRC, no MBAP header) on a TCP socket. The same slave logic as
 * the serial bus (SimBus.handleRtu): bad CRC, other units and broadcasts get silence, as on the
 * line. One request in flight per connection: a frame that arrives while a reply is still being
 * delayed (wire timing, late-reply faults) waits for that reply to leave, as the serial line would
 * make it wait.
 *
 * Framing is the RTU splitter's: a frame ends by its length rule with a good CRC, or at a silence
 * (`silenceMs`, default 10 ms: TCP segments do not keep character timing, so converters use a
 * packing interval of several ms; bytes drip-fed faster than that are still one frame).
 */
import net from 'node:net';
import { RtuSplitter } from '@prepaid-edge/protocols';
import type { SimBus } from '../bus.js';
import type { Logger } from '../log.js';

export interface RtuOverTcpOptions {
  port: number;
  host?: string;
  /** Silence that ends a frame candidate, ms. */
  silenceMs?: number;
}

export const RTU_OVER_TCP_SILENCE_MS = 10;

export class RtuOverTcpServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private silenceMs = RTU_OVER_TCP_SILENCE_MS;
  connections = 0;
  /** Frames that were not Modbus RTU for us at silence (CRC, short), counted for tests. */
  frameErrors = 0;

  constructor(
    private readonly bus: SimBus,
    private readonly log?: Logger,
  ) {
    this.server = net.createServer((s) => this.onConnection(s));
  }

  listen(opts: RtuOverTcpOptions): Promise<number> {
    if (opts.silenceMs !== undefined) this.silenceMs = opts.silenceMs;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  private onConnection(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const splitter = new RtuSplitter({ direction: 'request', silenceMs: this.silenceMs });
    const queue: Buffer[] = [];
    let busy = false;
    let timer: NodeJS.Timeout | undefined;
    const next = (): void => {
      while (!busy && queue.length > 0 && !socket.destroyed) {
        const frame = queue.shift()!;
        const reply = this.bus.handleRtu(frame);
        if (!reply) continue;
        if (reply.delayMs <= 0) {
          socket.write(reply.bytes);
          continue;
        }
        busy = true;
        timer = setTimeout(() => {
          timer = undefined;
          busy = false;
          if (socket.writable) socket.write(reply.bytes);
          next();
        }, reply.delayMs);
      }
    };
    splitter.on('data', (frame: Buffer) => {
      queue.push(frame);
      next();
    });
    // Not Modbus at silence: DL/T 645 meters on the bus may still understand it, so it goes to the bus.
    splitter.on('frameError', (e: { code: string }, bytes: Buffer | undefined) => {
      this.frameErrors++;
      this.log?.debug({ bus: this.bus.id, code: e.code }, 'non-Modbus frame at silence (rtu-over-tcp)');
      if (bytes) {
        queue.push(bytes);
        next();
      }
    });
    socket.on('data', (chunk: Buffer) => splitter.write(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (timer) clearTimeout(timer);
      queue.length = 0;
      splitter.destroy();
      this.sockets.delete(socket);
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
