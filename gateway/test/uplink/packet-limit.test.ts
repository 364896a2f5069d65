/** PacketLimiter on its own: any chunking, publishes over the limit emptied, everything else unchanged. */
import { PassThrough } from 'node:stream';
import test from 'ava';
import mqttPacket from 'mqtt-packet';
import { PacketLimiter } from '../../src/adapters/uplink/packet-limit.js';

const packets: mqttPacket.Packet[] = [
  { cmd: 'publish', topic: 'a/commands', payload: Buffer.from('{"small":1}'), qos: 1, messageId: 7, dup: false, retain: false },
  { cmd: 'publish', topic: 'a/commands', payload: Buffer.alloc(300_000, 0x61), qos: 1, messageId: 8, dup: false, retain: false },
  { cmd: 'pingresp' },
  { cmd: 'publish', topic: 'b', payload: Buffer.alloc(70_000, 0x62), qos: 0, dup: false, retain: true },
  { cmd: 'publish', topic: 'a/commands', payload: Buffer.alloc(65_536 - 18, 0x63), qos: 1, messageId: 9, dup: false, retain: false },
  { cmd: 'suback', messageId: 3, granted: [1] },
];
const wire = Buffer.concat(packets.map((p) => mqttPacket.generate(p)));

async function through(chunks: Buffer[]): Promise<{ out: mqttPacket.Packet[]; limiter: PacketLimiter; drops: number[] }> {
  const drops: number[] = [];
  const limiter = new PacketLimiter(65_536, (p) => drops.push(p.bytes));
  const src = new PassThrough();
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => out.push(p));
  limiter.on('data', (d: Buffer) => parser.parse(d));
  src.pipe(limiter);
  for (const c of chunks) src.write(c);
  src.end();
  await new Promise((r) => limiter.once('end', r));
  return { out, limiter, drops };
}

function split(buf: Buffer, sizes: () => number): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = Math.max(1, sizes());
    parts.push(buf.subarray(i, i + n));
    i += n;
  }
  return parts;
}

for (const [name, sizes] of [
  ['one chunk', () => wire.length],
  ['1-byte chunks', () => 1],
  ['3-byte chunks', () => 3],
  ['random chunks', (() => {
    let s = 12345;
    return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) % 9000) + 1;
  })()],
] as Array<[string, () => number]>) {
  test(`limiter, ${name}: the oversized publishes arrive empty with topic and id, the rest unchanged`, async (t) => {
    const { out, limiter, drops } = await through(split(wire, sizes));
    t.is(out.length, packets.length);
    t.like(out[0], { cmd: 'publish', topic: 'a/commands', messageId: 7, payload: Buffer.from('{"small":1}') });
    t.like(out[1], { cmd: 'publish', topic: 'a/commands', messageId: 8, qos: 1 });
    t.is((out[1] as mqttPacket.IPublishPacket).payload.length, 0);
    t.like(out[2], { cmd: 'pingresp' });
    t.like(out[3], { cmd: 'publish', topic: 'b', qos: 0, retain: true });
    t.is((out[3] as mqttPacket.IPublishPacket).payload.length, 0);
    t.is((out[4] as mqttPacket.IPublishPacket).payload.length, 65_536 - 18, 'exactly at the limit: kept');
    t.like(out[5], { cmd: 'suback', messageId: 3 });
    t.deepEqual(drops, [mqttPacket.generate(packets[1]!).length, mqttPacket.generate(packets[3]!).length]);
    t.true(limiter.isDropped('a/commands', Buffer.alloc(0)));
    t.false(limiter.isDropped('a/commands', Buffer.from('x')), 'a real message is never taken for a dropped one');
    t.true(limiter.isDropped('b', Buffer.alloc(0)));
    t.false(limiter.isDropped('b', Buffer.alloc(0)), 'each drop is matched once');
  });
}
