#!/usr/bin/env node
/** prepaid-sim: simulated meters on a Modbus TCP port and/or a serial device. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPrepaidError } from '@prepaid-edge/protocols';
import { Simulator, type ProfileName } from './simulator.js';
import { loadScenario } from './scenario.js';
import { ControlApi } from './control/http-api.js';
import { renderTable } from './table.js';
import { createLogger } from './log.js';
import './meters/register-all.js';
import { runFleetCommand } from './fleet-dispatch.js';
import { int, positive } from './cli-options.js';

if (process.argv[2] === 'fleet') runFleetCommand(process.argv.slice(3));

const program = new Command('prepaid-sim')
  .description('Simulated electricity meters that answer Modbus RTU/TCP and DL/T 645 like real ones')
  .addOption(new Option('--profile <name>', 'meter model').choices(['sdm630', 'sdm120', 'prepaid', 'prepaid-2', 'dlt645', 'dlt645-3p']).default('sdm630'))
  .option('--meters <n>', 'meters on the bus, unit ids 1..n', int('--meters', 1, 247), 1)
  .option('--tcp <port>', 'serve Modbus TCP on 127.0.0.1:<port> (0 = any free port)', int('--tcp', 0, 65535))
  .option('--host <addr>', 'address for --tcp and --rtu-over-tcp', '127.0.0.1')
  .option('--rtu-over-tcp <port>', 'serve bare RTU frames (with CRC, no MBAP) on TCP 127.0.0.1:<port>, as an Ethernet-to-RS-485 converter (0 = any free port)', int('--rtu-over-tcp', 0, 65535))
  .option('--rtu <path>', 'serve the bus on a serial device (e.g. one end of a socat pty pair)')
  .option('--pty <path>', 'create a pty pair and link the master\'s end at <path> (needs socat): meters with their own baud rate/parity then answer only a master at those settings')
  .option('--baud <rate>', 'serial baud rate', int('--baud', 300, 921600), 9600)
  .addOption(new Option('--parity <p>', 'serial parity').choices(['none', 'even', 'odd']).default('none'))
  .option('--speed <x>', 'simulated time runs x times faster', positive, 1)
  .option('--seed <s>', 'random seed: same seed, same run', '1')
  .option('--scenario <file>', 'scenario file (YAML/JSON): loads, faults, events')
  .addOption(new Option('--timing <mode>', 'instant replies, or emulate wire time at --baud').choices(['instant', 'wire']).default('instant'))
  .option('--turnaround-ms <ms>', 'meter turnaround with --timing wire', Number, 2)
  .option('--control-port <port>', 'authenticated control HTTP API on 127.0.0.1 (0 = any free port)', int('--control-port', 0, 65535))
  .option('--control-token-file <path>', 'where to write the control token (env PREPAID_SIM_TOKEN sets it instead)')
  .option('--no-table', 'do not print the live table')
  .option('--log-level <level>', 'pino log level', 'info')
  .action(async (o) => {
    const log = createLogger(o.logLevel);
    try {
      const scenario = o.scenario ? loadScenario(o.scenario) : undefined;
      const sim = new Simulator({
        profile: o.profile as ProfileName,
        meters: o.meters,
        seed: /^\d+$/.test(o.seed) ? Number(o.seed) : o.seed,
        speed: o.speed,
        timing: o.timing,
        baudRate: o.baud,
        parity: o.parity,
        turnaroundMs: o.turnaroundMs,
        log,
        ...(scenario ? { scenario } : {}),
      });
      if (o.tcp === undefined && o.rtuOverTcp === undefined && !o.rtu && !o.pty) throw new InvalidArgumentError('give --tcp PORT, --rtu-over-tcp PORT, --rtu PATH and/or --pty PATH');
      if (o.rtu && o.pty) throw new InvalidArgumentError('give --rtu PATH or --pty PATH, not both');
      const ready: Record<string, unknown> = { meters: sim.meters.length, profile: o.profile };
      if (o.tcp !== undefined) ready.tcpPort = await sim.listenTcp(o.tcp, o.host);
      if (o.rtuOverTcp !== undefined) ready.rtuOverTcpPort = await sim.listenRtuOverTcp(o.rtuOverTcp, o.host);
      if (o.rtu) {
        await sim.openSerial(o.rtu, { baudRate: o.baud, parity: o.parity });
        ready.rtu = o.rtu;
      }
      if (o.pty) {
        await sim.openPty(o.pty, { baudRate: o.baud, parity: o.parity });
        ready.pty = o.pty;
      }
      let control: ControlApi | undefined;
      if (o.controlPort !== undefined) {
        const token = process.env.PREPAID_SIM_TOKEN ?? randomBytes(24).toString('base64url');
        control = new ControlApi(sim, log);
        ready.controlPort = await control.listen({ port: o.controlPort, token });
        if (!process.env.PREPAID_SIM_TOKEN) {
          const file = o.controlTokenFile ?? join(tmpdir(), `prepaid-sim-${ready.controlPort}.token`);
          writeFileSync(file, token + '\n', { mode: 0o600 });
          ready.controlTokenFile = file;
        }
      }
      log.info(ready, 'ready');
      let timer: NodeJS.Timeout | undefined;
      if (o.table && process.stdout.isTTY) {
        timer = setInterval(() => {
          const header = `prepaid-sim  ${new Date(sim.clock.now()).toISOString()}  x${o.speed}  ${o.tcp !== undefined ? `tcp:${ready.tcpPort} ` : ''}${o.rtuOverTcp !== undefined ? `rtu-tcp:${ready.rtuOverTcpPort} ` : ''}${o.rtu ?? o.pty ?? ''}`;
          process.stdout.write('\x1b[H\x1b[2J' + renderTable(sim.states(), header) + '\n');
        }, 1000);
      }
      const stop = async (signal: string) => {
        log.info({ signal }, 'stopping');
        if (timer) clearInterval(timer);
        await Promise.all([sim.close(), control?.close()]);
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    } catch (e) {
      const msg = isPrepaidError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
      process.stderr.write(`prepaid-sim: ${msg}\n`);
      process.exit(2);
    }
  });

program.addHelpText('after', '\nfleet sizing (N gateways x M simulated meters against one broker): prepaid-gateway fleet --help');
program.parseAsync().catch((e) => {
  process.stderr.write(`prepaid-sim: ${(e as Error).message}\n`);
  process.exit(2);
});
