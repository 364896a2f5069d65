#!/usr/bin/env node
/** prepaid-gateway: run the gateway, or one of the technician commands. */
import { Command } from 'commander';
import { isPrepaidError } from '@prepaid-edge/protocols';
import { registerCommandCommands } from './commands/command-cli.js';
import { loadConfig } from './config/load-config.js';
import { createLogger } from './log.js';
import { Gateway } from './runtime.js';
import { registerTokenCommands } from './tokens/token-cli.js';
import { VERSION } from './version.js';

function die(e: unknown): never {
  const msg = isPrepaidError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
  process.stderr.write(`prepaid-gateway: ${msg}\n`);
  process.exit(2);
}

const program = new Command('prepaid-gateway').version(VERSION).description('Prepaid electricity edge gateway: poll meters, buffer in SQLite, forward over MQTT');

program
  .command('run', { isDefault: true })
  .description('run the gateway (the default command)')
  .requiredOption('-c, --config <file>', 'YAML configuration file')
  .option('--mqtt <url>', 'override mqtt.url')
  .option('--db <path>', 'override storage.path')
  .action(async (o: { config: string; mqtt?: string; db?: string }) => {
    let gw: Gateway;
    try {
      const cfg = loadConfig(o.config, { ...(o.mqtt ? { mqttUrl: o.mqtt } : {}), ...(o.db ? { dbPath: o.db } : {}) });
      gw = new Gateway(cfg, { log: createLogger({ level: cfg.log.level, gateway: cfg.gateway.id }) });
      await gw.start();
    } catch (e) {
      die(e);
    }
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      gw.stop(signal).then(
        () => process.exit(0),
        (e) => {
          gw.log.error({ err: (e as Error).message }, 'error while stopping');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

const config = program.command('config').description('configuration tools');
config
  .command('check <file>')
  .description('validate a configuration file; prints the problems with the path of each bad field')
  .action((file: string) => {
    try {
      const cfg = loadConfig(file);
      process.stdout.write(`${file}: ok (${cfg.buses.length} buses, ${cfg.meters.length} meters)\n`);
    } catch (e) {
      die(e);
    }
  });

registerTokenCommands(program);

registerCommandCommands(program);

program.parseAsync().catch(die);
