/**
 * Helper process of the modbus-master bench: one simulator bus (sdm630 meters) on a 127.0.0.1 TCP
 * port chosen by the OS; prints `{ "port": N }` and exits when stdin closes or on SIGTERM. The
 * server runs in its own process so its CPU never counts against the master measured.
 */
import { Simulator } from '@prepaid-edge/simulator';

const sim = new Simulator({ profile: 'sdm630', meters: 1, seed: 'modbus-master-bench' });
const port = await sim.listenTcp(0);
process.stdout.write(JSON.stringify({ port }) + '\n');
const stop = (): void => {
  void sim.close().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
