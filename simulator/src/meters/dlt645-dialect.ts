/** Lets DL/T 645 meters share a bus with Modbus meters: frames that are not Modbus come here. */
import { findFrame } from '@prepaid-edge/protocols';
import type { DialectHandler, SimBus } from '../bus.js';
import type { LineSettings } from './sim-meter.js';
import { Dlt645SimMeter } from './dlt645-meter.js';

export const dlt645Dialect: DialectHandler = {
  handle(bytes: Buffer, line: LineSettings | undefined, bus: SimBus): Buffer | undefined {
    const found = findFrame(bytes);
    if (!found.frame) return undefined;
    const frame = found.frame;
    for (const m of bus.all) {
      if (!(m instanceof Dlt645SimMeter) || !m.addressedBy(frame)) continue;
      if (m.line && line && (m.line.baudRate !== line.baudRate || m.line.parity !== line.parity)) continue;
      m.sync();
      if (!m.powered) continue;
      const f = m.replyFaults();
      if (f.drop) continue;
      const reply = m.handleFrame(frame);
      if (reply && f.corruptCrc) reply[reply.length - 2]! ^= 0x5a; // the checksum byte
      return reply; // one meter answers (a wildcard read-address expects a single meter on the line)
    }
    return undefined;
  },
};
