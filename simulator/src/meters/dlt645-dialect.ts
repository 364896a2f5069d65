/**
 * Lets DL/T 645 meters share a bus with Modbus meters: frames that are not Modbus come here.
 * Every meter a frame addresses answers (a wildcard reaches them all); when two or more answer at
 * once their drivers fight on the pair and the master reads garbage, as on a real RS-485 line:
 * the replies are ANDed byte by byte (a line driven low by either driver reads low) and a frame
 * that still decodes by chance gets its checksum broken.
 */
import { findFrame } from '@prepaid-edge/protocols';
import type { DialectHandler, SimBus } from '../bus.js';
import type { LineSettings } from './sim-meter.js';
import { Dlt645SimMeter } from './dlt645-meter.js';

/** What the master hears when several replies overlap on the wire. */
export function collide(replies: readonly Buffer[]): Buffer {
  const out = Buffer.alloc(Math.max(...replies.map((r) => r.length)), 0xff);
  for (const r of replies) for (let i = 0; i < r.length; i++) out[i]! &= r[i]!;
  if (findFrame(out).frame) out[out.length - 2]! ^= 0x5a;
  return out;
}

export const dlt645Dialect: DialectHandler = {
  handle(bytes: Buffer, line: LineSettings | undefined, bus: SimBus): Buffer | undefined {
    const found = findFrame(bytes);
    if (!found.frame) return undefined;
    const frame = found.frame;
    const replies: Buffer[] = [];
    for (const m of bus.all) {
      if (!(m instanceof Dlt645SimMeter) || !m.addressedBy(frame)) continue;
      if (m.line && line && (m.line.baudRate !== line.baudRate || m.line.parity !== line.parity)) continue;
      m.sync();
      if (!m.powered) continue;
      const f = m.replyFaults();
      if (f.drop) continue;
      const reply = m.handleFrame(frame);
      if (reply && f.corruptCrc) reply[reply.length - 2]! ^= 0x5a; // the checksum byte
      if (reply) replies.push(reply);
    }
    if (replies.length <= 1) return replies[0];
    return collide(replies);
  },
};
