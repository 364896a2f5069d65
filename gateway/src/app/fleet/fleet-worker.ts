/**
 * Child-process entry of a fleet run (forked by fleet.ts): runs a FleetNode for the gateways it is
 * given. Messages: parent {start, spec} -> {ready} | {error}; parent {stop, window} -> {stopped, tallies}.
 */
import { startFleetNode, type FleetNode, type FleetNodeSpec, type Window } from './fleet-node.js';

export type ToWorker = { type: 'start'; spec: FleetNodeSpec } | { type: 'stop'; window: Window };
export type FromWorker = { type: 'ready' } | { type: 'error'; message: string } | { type: 'stopped'; tallies: Awaited<ReturnType<FleetNode['stop']>> };

let node: FleetNode | undefined;
const send = (m: FromWorker) => new Promise<void>((r) => process.send!(m, () => r()));

process.on('message', (m: ToWorker) => {
  void (async () => {
    try {
      if (m.type === 'start') {
        node = await startFleetNode(m.spec);
        await send({ type: 'ready' });
      } else {
        const tallies = (await node?.stop(m.window)) ?? [];
        await send({ type: 'stopped', tallies });
        process.exit(0);
      }
    } catch (e) {
      await send({ type: 'error', message: (e as Error).stack ?? String(e) });
      process.exit(1);
    }
  })();
});
// The parent gone (killed, crashed) means this run is over.
process.on('disconnect', () => process.exit(1));
