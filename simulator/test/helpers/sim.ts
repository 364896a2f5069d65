/** Test helpers: a simulator on a random loopback port, float decoding, a clock for exact checks. */
import { Simulator, type SimulatorOptions } from '../../src/simulator.js';
import '../../src/meters/register-all.js';

export async function tcpSim(opts: SimulatorOptions): Promise<{ sim: Simulator; port: number }> {
  const sim = new Simulator(opts);
  const port = await sim.listenTcp(0);
  return { sim, port };
}

export function f32(hi: number, lo: number): number {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(hi, 0);
  b.writeUInt16BE(lo, 2);
  return b.readFloatBE(0);
}
