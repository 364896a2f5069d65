/**
 * A cap on the size of MQTT packets the gateway takes from the broker (MQTT 3.1.1 has no maximum
 * packet size to advertise). Sits between the socket and MQTT.js's parser, which would otherwise
 * buffer a whole packet before anyone sees it: a 50 MB publish meant 50 MB of heap and more.
 *
 * A PUBLISH over the limit is passed on with its topic and packet id but an empty payload, and the
 * rest of its bytes are skipped as they arrive; MQTT.js then acknowledges it as usual (so the broker
 * does not send it again on every reconnect) and `isDropped` tells the uplink to ignore it.
 * Other packets from a broker are small and pass unchanged.
 */
import { Transform, type Duplex, type TransformCallback } from 'node:stream';

export interface DroppedPacket {
  topic: string;
  /** Size of the whole packet on the wire. */
  bytes: number;
}

type State = { kind: 'header' } | { kind: 'pass'; left: number } | { kind: 'collect'; total: number; left: number } | { kind: 'skip'; left: number };

const PUBLISH = 3;

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

export class PacketLimiter extends Transform {
  private state: State = { kind: 'header' };
  private head: number[] = [];
  private collected: Buffer[] = [];
  private first = 0;
  private bytesOf = 0;
  /** Topics of the publishes emptied here, in arrival order (the uplink takes them off as they come). */
  private readonly dropped: DroppedPacket[] = [];

  constructor(
    private readonly maxBytes: number,
    private readonly onDrop: (p: DroppedPacket) => void = () => undefined,
  ) {
    super();
  }

  /** True (once) when this empty-payload message is an oversized publish emptied by the limiter. */
  isDropped(topic: string, payload: Buffer): boolean {
    if (payload.length !== 0 || this.dropped[0]?.topic !== topic) return false;
    this.dropped.shift();
    return true;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      const s = this.state;
      if (s.kind === 'pass' || s.kind === 'skip') {
        const n = Math.min(s.left, chunk.length - i);
        if (s.kind === 'pass') this.push(chunk.subarray(i, i + n));
        i += n;
        s.left -= n;
        if (s.left === 0) this.state = { kind: 'header' };
        continue;
      }
      if (s.kind === 'collect') {
        const n = Math.min(s.left, chunk.length - i);
        this.collected.push(chunk.subarray(i, i + n));
        i += n;
        s.left -= n;
        this.collectStep(s.total);
        continue;
      }
      // header: one type byte, then 1-4 bytes of remaining length
      this.head.push(chunk[i++]!);
      if (this.head.length === 1) continue;
      const last = this.head[this.head.length - 1]!;
      if (last & 0x80 && this.head.length < 5) continue;
      this.packetStart();
    }
    done();
  }

  private packetStart(): void {
    const head = Buffer.from(this.head);
    this.head = [];
    let len = 0;
    for (let k = head.length - 1; k >= 1; k--) len = len * 128 + (head[k]! & 0x7f);
    const total = head.length + len;
    if (total <= this.maxBytes || head[0]! >> 4 !== PUBLISH) {
      this.push(head);
      this.state = len > 0 ? { kind: 'pass', left: len } : { kind: 'header' };
      return;
    }
    this.first = head[0]!;
    this.collected = [];
    // First the 2-byte topic length; collectStep asks for the rest once it knows it.
    this.state = { kind: 'collect', total: len, left: Math.min(2, len) };
    this.bytesOf = total;
  }

  private collectStep(remaining: number): void {
    const s = this.state as { kind: 'collect'; total: number; left: number };
    if (s.left > 0) return;
    const got = Buffer.concat(this.collected);
    const qos = (this.first >> 1) & 3;
    const need = got.length >= 2 ? 2 + got.readUInt16BE(0) + (qos > 0 ? 2 : 0) : 2;
    if (got.length < need && need <= remaining) {
      this.state = { kind: 'collect', total: remaining, left: need - got.length };
      return;
    }
    const keep = got.subarray(0, Math.min(need, got.length));
    const topic = keep.length >= 2 ? keep.subarray(2, 2 + keep.readUInt16BE(0)).toString('utf8') : '';
    const drop = { topic, bytes: this.bytesOf };
    // Noted before the push: the parser downstream may emit the message synchronously.
    this.dropped.push(drop);
    this.onDrop(drop);
    this.push(Buffer.concat([Buffer.from([this.first]), varint(keep.length), keep]));
    const left = remaining - got.length;
    this.collected = [];
    this.state = left > 0 ? { kind: 'skip', left } : { kind: 'header' };
  }
}

/**
 * Put a limiter between `stream` and whatever it is piped to (MQTT.js pipes the socket into its
 * parser). Writes still go to `stream` itself.
 */
export function limitIncoming(stream: Duplex, limiter: PacketLimiter): Duplex {
  const pipe = stream.pipe.bind(stream);
  (stream as { pipe: unknown }).pipe = <T extends NodeJS.WritableStream>(dest: T, opts?: { end?: boolean }): T => {
    pipe(limiter);
    return limiter.pipe(dest, opts);
  };
  return stream;
}
