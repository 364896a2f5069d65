/**
 * Modbus TCP in front of a simulated bus: the MBAP unit id routes to the meter.
 * Many clients at once; pipelined requests on one connection are answered in arrival order
 * unless a reply is delayed (wire timing, late-reply faults), when the transaction id tells them apart.
 */
import net from 'node:net';
import { encodeTcp, readTcpFrame, isPrepaidError } from '@prepaid-edge/protocols';
import type { SimBus } from '../bus.js';
import type { Logger } from '../log.js';

const EMPTY = Buffer.alloc(0);

export interface TcpServerOptions {
  port: number;
  host?: string;
}

export class ModbusTcpServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  connections = 0;

  constructor(
    private readonly bus: SimBus,
    private readonly log?: Logger,
  ) {
    this.server = net.createServer((s) => this.onConnection(s));
  }

  listen(opts: TcpServerOptions): Promise<number> {
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
    let buf: Buffer = EMPTY;
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let off = 0;
      // Replies to the requests in one chunk leave in one write: a write is a syscall, and on
      // loopback the kernel's send path (which wakes the client) is most of the cost of a request.
      let first: Buffer | undefined;
      let more: Buffer[] | undefined;
      try {
        for (;;) {
          const r = readTcpFrame(buf, off);
          if (!r) break;
          off += r.consumed;
          const reply = this.bus.handleTcp(r.frame.unit, r.frame.pdu);
          if (!reply) continue;
          const out = encodeTcp(r.frame.transactionId, reply.unit, reply.pdu);
          if (reply.delayMs > 0) setTimeout(() => socket.writable && socket.write(out), reply.delayMs);
          else if (!first) first = out;
          else (more ??= [first]).push(out);
        }
      } catch (e) {
        // A TCP stream cannot be resynchronised after a bad header: drop the connection.
        this.log?.warn({ bus: this.bus.id, err: isPrepaidError(e) ? e.code : String(e) }, 'bad MBAP frame, closing connection');
        socket.destroy();
        return;
      }
      if (more) socket.write(Buffer.concat(more));
      else if (first) socket.write(first);
      buf = off === buf.length ? EMPTY : buf.subarray(off);
    });
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
