/**
 * The technician commands: scan, read, watch, relay, topup, token <TOKEN>, credit rating, status, doctor.
 * Cheap to import: each action loads its own module when it runs.
 */
import type { Command } from 'commander';
import { registerLedgerCommands } from './ledger-register.js';

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

export function registerTechnicianCommands(program: Command): void {
  program
    .command('scan')
    .description('find the meters on a serial line: every baud rate x parity x address, never writing to a meter')
    .requiredOption('--path <device>', 'serial device, e.g. /dev/ttyUSB0, or tcp://host:port for an RTU-over-TCP converter (one line setting: the first of --bauds/--parity)')
    .option('--bauds <list>', 'baud rates to try, comma separated', '1200,2400,4800,9600,19200,38400')
    .option('--parity <list>', 'parities to try: even,none,odd', 'even,none,odd')
    .option('--stop-bits <n>', '1 or 2 (default: 2 without parity, 1 with, as the Modbus spec says; 1 for 8N1 meters)')
    .option('--units <range>', 'Modbus unit ids: 1-247, or a list like 1,5,10-20', '1-247')
    .option('--protocol <p>', 'modbus | dlt645 | both', 'both')
    .option('--timeout <ms>', 'wait this long for a reply (default: wire time of request and reply + 50 ms)')
    .option('--json', 'print the found meters as a JSON array instead of the table and config snippet')
    .option('--out <file>', 'write the buses:/meters: config snippet to this file (default: print it)')
    .action(async (o) => (await import('./scan-command.js')).scanCommand({ ...o, bauds: list(o.bauds), parity: list(o.parity) }));

  const db = program.command('db').description('the gateway database: integrity check and recovery of a damaged file (stop the service first)');
  db.command('check')
    .description("SQLite's integrity check of the gateway database, read-only; exit 1 when damaged")
    .requiredOption('-c, --config <file>', 'gateway configuration (storage.path)')
    .option('--json', 'print the result as JSON')
    .action(async (o) => (await import('./db-command.js')).dbCheckCommand(o));
  db.command('recover')
    .description('salvage every intact row of a damaged database into a new file beside it, verify the ledger there and report what was lost')
    .requiredOption('-c, --config <file>', 'gateway configuration (storage.path)')
    .option('--out <file>', 'where to write the recovered database (default: <storage.path>.recovered-<time>)')
    .option('--replace', 'then move the damaged file aside (kept as <path>.damaged-<time>) and put the recovered one in its place')
    .option('-y, --yes', 'with --replace: do not ask for confirmation')
    .option('--json', 'print the report as JSON')
    .action(async (o) => (await import('./db-command.js')).dbRecoverCommand(o));

  program
    .command('read')
    .description('read one meter now, directly on its bus (stop the gateway service first, or use the web console)')
    .requiredOption('-c, --config <file>', 'gateway configuration')
    .requiredOption('--meter <id>', 'meter id from the configuration')
    .option('--json', 'print the values as JSON')
    .action(async (o) => (await import('./read-command.js')).readCommand(o));

  program
    .command('watch')
    .description('live values: read the meters every poll and redraw a table (Ctrl-C stops)')
    .requiredOption('-c, --config <file>', 'gateway configuration')
    .option('--meter <ids>', 'meter ids, comma separated (default: all)')
    .option('--interval <ms>', 'ms between polls (default: the shortest pollMs of the meters)')
    .option('--count <n>', 'stop after this many polls')
    .option('--width <columns>', 'fit the table in this many columns (default: the terminal width; a pipe gets whole lines)')
    .action(async (o) => (await import('./read-command.js')).watchCommand({ ...o, ...(o.meter ? { meter: list(o.meter) } : {}) }));

  program
    .command('relay <action>')
    .description('relay open | close | status of one meter, directly on its bus, verified by readback')
    .requiredOption('-c, --config <file>', 'gateway configuration')
    .requiredOption('--meter <id>', 'meter id from the configuration')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (action: string, o) => (await import('./relay-command.js')).relayCommand(action, o));

  program
    .command('topup')
    .description("add credit to a meter's account: a command signed with the technician key, applied by the running gateway or offline")
    .requiredOption('-c, --config <file>', 'gateway configuration (technician: key, credit: accounts)')
    .requiredOption('--meter <id>', 'meter id')
    .requiredOption('--amount <n>', "sub-units of the account's credit unit (cents, or Wh for energy accounts)")
    .option('--note <text>', 'free text for the audit trail')
    .action(async (o) => (await import('./credit-command.js')).topupCommand(o));

  // `token` exists already (STS / OpenPAYGO tools as subcommands): `token --meter ID TOKEN` enters a token.
  const token = program.commands.find((c) => c.name() === 'token') ?? program.command('token');
  token
    .argument('[token]', 'the token digits (spaces and dashes allowed)')
    .option('-c, --config <file>', 'gateway configuration (technician: key, credit: accounts)')
    .option('--meter <id>', 'meter id: enter TOKEN for this meter, signed with the technician key')
    .option('--scheme <s>', 'sts | openpaygo (default: from the account and the token length)')
    .action(async (digits: string | undefined, o) => (await import('./credit-command.js')).tokenCommand(digits, o, token));

  program
    .command('credit')
    .description('prepaid credit tools: credit rating')
    .command('rating')
    .description("each account's credit score, class and policy band, with the factors behind the score (stored by the daily pass, else computed from the ledger)")
    .requiredOption('-c, --config <file>', 'gateway configuration (credit: and rating:)')
    .option('--meter <id>', 'only this meter')
    .option('--json', 'print as JSON')
    .option('--now', 'compute from the ledger now instead of showing the stored ratings')
    .action(async (o) => (await import('./rating-command.js')).ratingCommand(o));

  program
    .command('status')
    .description('buses, meters, outbox depth, balances, uplink and clock, from the config, the database and the running gateway')
    .requiredOption('-c, --config <file>', 'gateway configuration')
    .option('--json', 'print as JSON')
    .action(async (o) => (await import('./status-command.js')).statusCommand(o));

  program
    .command('doctor')
    .description('check serial ports, the broker (TLS), the clock, disk space and the database; exit 1 on a FAIL')
    .requiredOption('-c, --config <file>', 'gateway configuration')
    .action(async (o) => (await import('./doctor-command.js')).doctorCommand(o));

  registerLedgerCommands(program);
}
