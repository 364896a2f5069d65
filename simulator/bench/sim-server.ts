/**
 * Child process for the benchmarks: starts one Simulator (bus) per entry of `buses`, each on its
 * own 127.0.0.1 port chosen by the OS, and prints one JSON line `{ pid, ports, registers? }`.
 * It exits when its stdin closes (the bench process died or is done) or on SIGTERM.
 *
 *   node sim-server.js '{"profile":"sdm630","buses":[3],"speed":1,"dump":{"address":0,"count":76}}'
 *
 * `dump` returns, for bus 0, the input registers each meter serves at that moment (through the
 * bus, as a master would see them), so another server can serve replies of the same size.
 */
import { Simulator, type ProfileName } from '../src/index.js';

export interface SimServerConfig {
  profile: ProfileName;
  /** Meters per bus (each at most 247). */
  buses: number[];
  speed?: number;
  dump?: { address: number; count: number };
}

export interface SimServerReady {
  pid: number;
  ports: number[];
  /** unit id -> register words, bus 0 only. */
  registers?: Record<string, number[]>;
}

function dumpRegisters(sim: Simulator, address: number, count: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const request = Buffer.from([0x04, address >> 8, address & 0xff, count >> 8, count & 0xff]);
  for (const m of sim.meters) {
    const reply = sim.bus.handleTcp(m.unit, request);
    if (!reply || reply.pdu[0] !== 0x04) throw new Error(`unit ${m.unit} did not answer FC 04 ${address}+${count}`);
    const words: number[] = [];
    for (let i = 2; i + 1 < reply.pdu.length; i += 2) words.push(reply.pdu.readUInt16BE(i));
    out[String(m.unit)] = words;
  }
  return out;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as SimServerConfig;
  const sims = cfg.buses.map((meters, i) => new Simulator({ profile: cfg.profile, meters, seed: i + 1, speed: cfg.speed ?? 1 }));
  const ports: number[] = [];
  for (const sim of sims) ports.push(await sim.listenTcp(0, '127.0.0.1'));

  const ready: SimServerReady = { pid: process.pid, ports };
  if (cfg.dump && sims[0]) ready.registers = dumpRegisters(sims[0], cfg.dump.address, cfg.dump.count);
  process.stdout.write(JSON.stringify(ready) + '\n');

  const stop = (): void => {
    void Promise.all(sims.map((s) => s.close())).finally(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`sim-server: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
