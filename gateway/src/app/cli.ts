#!/usr/bin/env node
/** prepaid-gateway: run the gateway, or one of the technician commands. */
import { Command } from 'commander';
import { isPrepaidError } from '@prepaid-edge/protocols';
import type { Gateway } from './runtime.js';
import { VERSION } from './version.js';

// Each command loads what it needs when it runs: `run` never loads the token and command CLIs
// (and their codecs), the technician commands never load the runtime (footprint, docs/benchmarks.md).

function die(e: unknown): never {
  const code = isPrepaidError(e) ? e.code : undefined;
  const msg = code ? `${code}: ${(e as Error).message}` : (e as Error).message;
  process.stderr.write(`prepaid-gateway: ${msg}\n`);
  process.exit(2);
}

const program = new Command('prepaid-gateway').version(VERSION).description('Prepaid electricity edge gateway: poll meters, buffer in SQLite, forward over MQTT');

// `fleet` parses its own options (fleet/fleet-cli.ts); the command below only names it in --help.
if (process.argv[2] === 'fleet') process.exit(await (await import('./fleet/fleet-cli.js')).fleetMain(process.argv.slice(3)));

program
  .command('run', { isDefault: true })
  .description('run the gateway (the default command)')
  .requiredOption('-c, --config <file>', 'YAML configuration file')
  .option('--mqtt <url>', 'override mqtt.url')
  .option('--db <path>', 'override storage.path')
  .allowExcessArguments(false)
  .action(async (o: { config: string; mqtt?: string; db?: string }) => {
    let gw: Gateway | undefined;
    let starting: Promise<void> | undefined;
    // Listened to before the gateway starts: a stop asked for while it starts (systemd, Ctrl-C)
    // waits for the start to finish, then stops cleanly, instead of killing it half-way.
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      if (!gw) process.exit(0); // nothing opened yet
      const g = gw;
      void (starting ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => g.stop(signal))
        .then(
          () => process.exit(0),
          (e) => {
            g.log.error({ err: (e as Error).message }, 'error while stopping');
            process.exit(1);
          },
        );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    try {
      const { loadConfig } = await import('./config/load-config.js');
      // A new configuration the last run left on trial (crash, kill) is rolled back before the file is read.
      const recovered = (await import('./config/remote-config.js')).recoverTrial(o.config);
      const overrides = { ...(o.mqtt ? { mqttUrl: o.mqtt } : {}), ...(o.db ? { dbPath: o.db } : {}) };
      const cfg = loadConfig(o.config, overrides);
      // A second gateway is refused before the runtime loads (a second or more on a busy Pi); the lock taken when the outbox opens is the real check.
      (await import('../adapters/store/owner-lock.js')).refuseIfOwnedElsewhere(cfg.storage.path);
      const [{ createLogger }, { Gateway }] = await Promise.all([import('../adapters/log.js'), import('./runtime.js')]);
      gw = new Gateway(cfg, { log: createLogger({ level: cfg.log.level, gateway: cfg.gateway.id }), remoteConfig: { file: o.config, overrides, ...(recovered ? { recovered } : {}) } });
      starting = gw.start();
      await starting;
    } catch (e) {
      die(e);
    }
  });

const config = program.command('config').description('configuration tools');
config
  .command('check <file>')
  .description('validate a configuration file; prints the problems with the path of each bad field')
  .action(async (file: string) => {
    try {
      const { loadConfig } = await import('./config/load-config.js');
      const cfg = loadConfig(file);
      process.stdout.write(`${file}: ok (${cfg.buses.length} buses, ${cfg.meters.length} meters)\n`);
    } catch (e) {
      die(e);
    }
  });

config
  .command('hash <file>')
  .description('the version and hash of a configuration file: the `base` of a signed config command (docs/mqtt.md, "Remote configuration")')
  .action(async (file: string) => {
    try {
      const { activeOf, readDocument } = await import('./config/remote-config.js');
      const a = activeOf(readDocument(file));
      process.stdout.write(`${JSON.stringify(a)}\n`);
    } catch (e) {
      die(e);
    }
  });

/**
 * `run`, named or as the default command (first argument an option other than help/version), and
 * `config` (the systemd unit's ExecStartPre, before every start) need no other command.
 */
function onlyRun(argv: readonly string[]): boolean {
  const first = argv[2];
  return first === 'run' || first === 'config' || (first !== undefined && first.startsWith('-') && !['-h', '--help', '-V', '--version'].includes(first));
}

if (!onlyRun(process.argv)) {
  const [{ registerTokenCommands }, { registerCommandCommands }] = await Promise.all([import('./cli/token-cli.js'), import('./cli/command-cli.js')]);
  registerTokenCommands(program);
  registerCommandCommands(program);
}
if (!onlyRun(process.argv)) (await import('./cli/console-cli.js')).registerConsoleCommands(program);

if (!onlyRun(process.argv)) (await import('./cli/register.js')).registerTechnicianCommands(program);
// Named last: the list of commands starts with the gateway's own.
program.command('fleet').description('N gateways x M simulated meters against one broker, to size a head end (prepaid-gateway fleet --help)');

/** Closest command name (edit distance <= 2), for the hint after a typo. */
function nearest(word: string, names: readonly string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
    return prev[b.length]!;
  };
  const best = names.map((n) => ({ n, d: dist(word, n) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 ? best.n : undefined;
}

// `run` is the default command, so commander would take an unknown word for its argument and answer
// "required option --config"; a word that names no command is a typo, say so.
const first = process.argv[2];
if (first !== undefined && !first.startsWith('-')) {
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]).concat('help');
  if (!names.includes(first)) {
    const hint = nearest(first, names);
    process.stderr.write(`prepaid-gateway: unknown command '${first}'${hint ? ` (did you mean '${hint}'?)` : ''}\n  commands: ${program.commands.map((c) => c.name()).join(', ')}\n  see prepaid-gateway --help; to run the gateway: prepaid-gateway run --config FILE\n`);
    process.exit(2);
  }
}

program.parseAsync().catch(die);
