/**
 * `prepaid-sim fleet` runs real gateways, which live in @prepaid-edge/gateway; the gateway already
 * depends on the simulator, so the simulator cannot depend on it at build time (tsc -b would be
 * cyclic). The fleet command is therefore found at run time: the gateway package's built
 * dist/src/fleet/fleet-cli.js, looked up the way Node looks up packages (node_modules upwards),
 * and, in this repository, the sibling workspace.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FLEET_CLI = join('dist', 'src', 'fleet', 'fleet-cli.js');

export function findFleetCli(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    for (const pkg of [join(dir, 'node_modules', '@prepaid-edge', 'gateway'), join(dir, 'gateway')]) if (existsSync(join(pkg, FLEET_CLI))) return join(pkg, FLEET_CLI);
    if (dirname(dir) === dir) return undefined;
  }
}

/** Runs `prepaid-sim fleet <args>` and exits the process; never returns. */
export async function runFleetCommand(args: string[]): Promise<never> {
  const cli = findFleetCli();
  if (!cli) {
    process.stderr.write('prepaid-sim fleet: needs @prepaid-edge/gateway, built (npm install -w gateway && npx tsc -b)\n');
    process.exit(2);
  }
  const mod = (await import(pathToFileURL(cli).href)) as { fleetMain(argv: string[]): Promise<number> };
  process.exit(await mod.fleetMain(args));
}
