/** `prepaid-gateway ledger statement | verify`: cheap to import, each action loads ledger-command.ts when it runs. */
import type { Command } from 'commander';

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description("the prepaid ledger: customer statements and the replay check");
  ledger
    .command('statement')
    .description('a customer statement: opening and closing balance, consumption by tariff band, standing charges, top-ups, adjustments')
    .requiredOption('-c, --config <file>', 'gateway configuration')
    .requiredOption('--meter <id>', 'meter id (its account)')
    .requiredOption('--from <date>', 'first local day, YYYY-MM-DD (gateway.timezone), inclusive')
    .requiredOption('--to <date>', 'last local day, YYYY-MM-DD, inclusive')
    .option('--json', 'print as JSON')
    .option('--csv', 'print as CSV')
    .action(async (o) => (await import('./ledger-command.js')).statementCommand(o));
  ledger
    .command('verify')
    .description('replay every account: each balance = the sum of its entries, each running balance = the replay; exit 1 on a mismatch')
    .requiredOption('-c, --config <file>', 'gateway configuration')
    .option('--json', 'print as JSON')
    .action(async (o) => (await import('./ledger-command.js')).verifyCommand(o));
}
