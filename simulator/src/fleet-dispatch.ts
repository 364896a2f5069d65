/**
 * `prepaid-sim fleet` moved to `prepaid-gateway fleet`: it runs real gateways, and the simulator
 * sits below the gateway (it may not load the gateway's code). Kept as a pointer for old scripts.
 */

/** Says where the command went and exits 2; never returns. */
export function runFleetCommand(args: string[]): never {
  process.stderr.write(`prepaid-sim fleet: moved to the gateway package; run: ${['prepaid-gateway', 'fleet', ...args].join(' ')}\n`);
  process.exit(2);
}
