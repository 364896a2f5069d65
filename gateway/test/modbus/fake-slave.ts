/**
 * A scripted Modbus slave on 127.0.0.1 (port chosen at run time) that the test controls byte by
 * byte: RTU frames over TCP (as an RS-485 converter carries them) or Modbus TCP (MBAP). Each request
 * is handed to the script with helpers that build a correct reply; the script decides what goes on
 * the wire (the reply, garbage, a drip, nothing, ...).
 */
import net from 'node:net';
import { decodeRtu, encodeRegistersResponse, encodeRtu, encodeTcp, readTcpFrame } from '@prepaid-edge/protocols';

export interface SlaveRequest {
  n: number;
  unit: number;
  tid: number;
  pdu: Buffer;
  address: number;
  count: number;
  /** The correct reply frame (RTU with CRC, or MBAP) for these words. */
  reply(words?: number[], opts?: { unit?: number; tid?: number }): Buffer;
  send(bytes: Buffer): void;
  /** Write one byte every `ms`. */
  drip(bytes: Buffer, ms: number): Promise<void>;
  socket: net.Socket;
}

export type Script = (r: SlaveRequest) => void | Promise<void>;

/** Words a request for `count` registers at `address` gets by default: address+i plus 1000 per request seen. */
export const wordsFor = (n: number, address: number, count: number): number[] => Array.from({ length: count }, (_, i) => (address + i + n * 1000) & 0xffff);

export class FakeSlave {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  connections = 0;
  requests = 0;
  port = 0;

  constructor(
    readonly mode: 'rtu' | 'tcp',
    public script: Script = (r) => r.send(r.reply()),
  ) {
    this.server = net.createServer((s) => this.accept(s));
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  private accept(s: net.Socket): void {
    this.connections++;
    this.sockets.add(s);
    s.setNoDelay(true);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        let unit: number;
        let tid = 0;
        let pdu: Buffer;
        if (this.mode === 'tcp') {
          const r = readTcpFrame(buf);
          if (!r) return;
          buf = buf.subarray(r.consumed);
          ({ unit, pdu } = r.frame);
          tid = r.frame.transactionId;
        } else {
          const len = buf[1] === 0x10 ? (buf.length >= 7 ? 9 + buf[6]! : Infinity) : 8;
          if (buf.length < len) return;
          const f = decodeRtu(buf.subarray(0, len));
          buf = buf.subarray(len);
          ({ unit, pdu } = f);
        }
        this.handle(s, unit, tid, pdu);
      }
    });
  }

  private handle(socket: net.Socket, unit: number, tid: number, pdu: Buffer): void {
    const n = this.requests++;
    const address = pdu.readUInt16BE(1);
    const count = pdu[0]! <= 4 ? pdu.readUInt16BE(3) : 0;
    const mode = this.mode;
    const req: SlaveRequest = {
      n,
      unit,
      tid,
      pdu,
      address,
      count,
      socket,
      reply(words = wordsFor(n, address, count), o = {}) {
        const body = pdu[0]! <= 4 ? encodeRegistersResponse(pdu[0] as 0x03 | 0x04, words) : pdu.subarray(0, 5);
        return mode === 'tcp' ? encodeTcp(o.tid ?? tid, o.unit ?? unit, body) : encodeRtu(o.unit ?? unit, body);
      },
      send: (bytes) => void socket.write(bytes),
      drip: async (bytes, ms) => {
        for (const b of bytes) {
          if (socket.destroyed) return;
          socket.write(Buffer.of(b));
          await sleep(ms);
        }
      },
    };
    void this.script(req);
  }

  /** Drop every connection (the peer restarts) and optionally stop listening. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const rtuException = (unit: number, fc: number, code: number): Buffer => encodeRtu(unit, Buffer.of(fc | 0x80, code));
