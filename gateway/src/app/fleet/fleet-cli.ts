/**
 * `prepaid-gateway fleet ...` (dispatched by cli.ts). Exit code 0 when the run was OK, 1 when
 * something was lost or a gateway stayed silent, 2 on bad arguments or a failure.
 */
import { Command, Option } from 'commander';
import { int, positive } from '@prepaid-edge/simulator/cli-options';
import { runFleet } from './fleet.js';
import { formatFleetReport } from './fleet-report.js';

export async function fleetMain(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('prepaid-gateway fleet')
    .description('N gateways with M simulated meters each against one MQTT broker; measures what a head end receives')
    .requiredOption('--gateways <n>', 'gateways', int('--gateways', 1, 2000))
    .requiredOption('--meters <m>', 'meters per gateway (unit ids 1..m on its own bus)', int('--meters', 1, 247))
    .option('--broker <url>', "mqtt://host:port, 'embedded' (aedes in this process) or 'mosquitto' (default: a local mosquitto if installed, else embedded)")
    .option('--duration <s>', 'measurement window, seconds', positive, 20)
    .option('--poll-ms <ms>', 'poll period of every meter', int('--poll-ms', 50, 3_600_000), 1000)
    .addOption(new Option('--profile <name>', 'meter model').choices(['sdm630', 'prepaid']).default('sdm630'))
    .option('--workers <k>', 'child processes for the gateways (0 = this process; default by size)', int('--workers', 0, 64))
    .addOption(new Option('--synchronous <mode>', 'SQLite durability of the simulated gateways').choices(['full', 'normal']).default('normal'))
    .option('--linger-ms <ms>', "the gateways' mqtt.lingerMs (default: the gateway's default)", int('--linger-ms', 0, 60_000))
    .option('--prefix <topic>', 'MQTT topic prefix', 'prepaid-edge')
    .option('--credit', 'prepaid credit on every meter: the head end rebuilds every balance from the ledger streams and compares')
    .option('--json', 'print the report as one JSON object')
    .option('--log-level <level>', 'pino level of the gateways (stderr)', 'error')
    .exitOverride()
    .action(async (o) => {
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      const report = await runFleet({
        gateways: o.gateways,
        meters: o.meters,
        broker: o.broker,
        durationS: o.duration,
        pollMs: o.pollMs,
        profile: o.profile,
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
        synchronous: o.synchronous,
        ...(o.lingerMs !== undefined ? { lingerMs: o.lingerMs } : {}),
        prefix: o.prefix,
        ...(o.credit ? { credit: true } : {}),
        logLevel: o.logLevel,
        signal: abort.signal,
        progress: (line) => process.stderr.write(`fleet: ${line}\n`),
      });
      process.stdout.write((o.json ? JSON.stringify(report) : formatFleetReport(report)) + '\n');
      code = report.ok ? 0 : 1;
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    if (!err.code?.startsWith('commander.')) process.stderr.write(`prepaid-gateway fleet: ${err.stack ?? err.message}\n`);
    return 2;
  }
  return code;
}
