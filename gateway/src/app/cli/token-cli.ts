/**
 * `prepaid-gateway token sts|openpaygo ...`: commander wiring only; the work is in sts-cli.ts and
 * openpaygo-cli.ts. Success prints one line of JSON on stdout (exit 0); bad input prints one line
 * naming the option or digit on stderr (exit 2); an OpenPAYGO token refused as used or too old
 * exits 1. Commander's own usage errors (missing option, bad choice) exit 2 as well.
 */
import { Command, CommanderError, Option } from 'commander';
import { STS_BASE_DATES } from '@prepaid-edge/protocols';
import { toCliError } from '../../adapters/tokens/cli-input.js';
import { openPaygoDecode, openPaygoEncode, type OpenPaygoDecodeCliOptions, type OpenPaygoEncodeCliOptions } from '../../adapters/tokens/openpaygo-cli.js';
import { OPENPAYGO_MODES } from '../../adapters/tokens/openpaygo-modes.js';
import { stsDecode, stsDeriveKey, stsEncode, type StsDecodeOptions, type StsDeriveKeyOptions, type StsEncodeOptions } from '../../adapters/tokens/sts-cli.js';

/** Where the commands write and how they end; tests pass their own to run the CLI in-process. */
export interface TokenCliIo {
  out(text: string): void;
  err(text: string): void;
  /** Must not return (process.exit, or a throw in tests). */
  exit(code: number): never;
}

const processIo: TokenCliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

function runAction(io: TokenCliIo, action: () => unknown): void {
  let result: unknown;
  try {
    result = action();
  } catch (e) {
    const err = toCliError(e);
    io.err(`prepaid-gateway: ${err.line}\n`);
    io.exit(err.exitCode);
  }
  io.out(`${JSON.stringify(result)}\n`);
}

const baseDateOption = () =>
  new Option('--base-date <year>', "base date of the meter's key revision (TIDs count minutes from it)")
    .choices(STS_BASE_DATES.map(String))
    .default('1993');

function registerSts(token: Command, io: TokenCliIo): void {
  const sts = token.command('sts').description('STS (IEC 62055-41) 20-digit tokens: EA07, DKGA-02');

  sts
    .command('derive-key')
    .description('derive a meter decoder key with DKGA-02; prints {"decoderKey", "panBlock", "controlBlock"}')
    .requiredOption('--vending-key <hex>', 'vending unit DES key (VUDK), 16 hex digits')
    .requiredOption('--pan <digits>', 'meter PAN: 18 digits (IIN 6 + meter number 11 + Luhn check digit)')
    .requiredOption('--sgc <digits>', 'supply group code, 6 digits')
    .requiredOption('--ti <digits>', 'tariff index, 2 digits')
    .requiredOption('--krn <n>', 'key revision number, 1-9')
    .requiredOption('--kt <n>', 'key type, 0-3 (2 = DUTK, the usual decoder key)')
    .action((o: StsDeriveKeyOptions) => runAction(io, () => stsDeriveKey(o)));

  sts
    .command('decode')
    .description('decrypt and check a token; prints class, subclass, kind, random, tid, issuedAt (ISO), amount (units), amountTenths, crc (hex)...')
    .argument('<token>', '20 digits; spaces and hyphens between groups are ignored')
    .option('--key <hex>', 'decoder key, 16 hex digits (not needed for class 1 test tokens)')
    .addOption(baseDateOption())
    .action((tokenText: string, o: StsDecodeOptions) => runAction(io, () => stsDecode(tokenText, o)));

  sts
    .command('encode')
    .description('issue a token; prints {"token"} and its decoded fields (the amount actually carried, rounded up)')
    .option('--key <hex>', 'decoder key, 16 hex digits (classes 0 and 2)')
    .requiredOption('--class <c>', '0 credit, 1 test (sent in clear), 2 management')
    .requiredOption('--subclass <s>', 'class 0: 0 electricity kWh, 1 water, 2 gas, 3 time, 4 currency; class 2: 0 power limit, 1 clear credit, 2 tariff rate, 5 clear tamper, 6 phase unbalance, 7 water factor')
    .option('--amount <units>', 'class 0: amount in units, at most one decimal (25.6)')
    .option('--issued-at <iso>', 'classes 0 and 2: issue instant with zone (2024-05-01T12:00:00Z); seconds are dropped')
    .option('--random <r>', 'classes 0 and 2: 4-bit random number, 0-15')
    .option('--value <n>', 'class 2: the raw 16-bit field (clear credit: 0 electricity ... 4 currency, 65535 all; 0 for clear tamper)')
    .option('--control <hex>', 'class 1: control bits (36 bits for subclass 0, 28 for subclass 1)')
    .option('--manufacturer-code <n>', 'class 1: manufacturer code (8 bits for subclass 0, 16 for subclass 1)')
    .addOption(baseDateOption())
    .action((o: StsEncodeOptions) => runAction(io, () => stsEncode(o)));
}

function registerOpenPaygo(token: Command, io: TokenCliIo): void {
  const opg = token.command('openpaygo').description('OpenPAYGO Token: time-based credit (SipHash-2-4)');
  const modes = Object.keys(OPENPAYGO_MODES);

  opg
    .command('encode')
    .description('issue the token for the next count; prints {"token", "newCount", "mode", "type", "value"} (store newCount)')
    .requiredOption('--key <hex>', 'device key, 32 hex digits')
    .requiredOption('--starting-code <n>', "device's starting code (9 digits)")
    .requiredOption('--count <n>', 'last count issued for this device')
    .option('--value <days>', 'days, for --mode add and set')
    .addOption(new Option('--mode <mode>', 'add time, set time, unlock for good, counter sync').choices(modes).default('add'))
    .option('--restricted-digits', 'digits 1-4 only, for 4-key keypads (15 or 20 digits)')
    .option('--extended', '12-digit token carrying up to 999999 days')
    .action((o: OpenPaygoEncodeCliOptions) => runAction(io, () => openPaygoEncode(o)));

  opg
    .command('decode')
    .description('check a token against the device state; prints {"mode", "type", "value", "count", "lastCount", "usedCounts"} or the rejection (exit 1)')
    .argument('<token>', '9, 12, 15 or 20 digits; spaces are ignored')
    .requiredOption('--key <hex>', 'device key, 32 hex digits')
    .requiredOption('--starting-code <n>', "device's starting code (9 digits)")
    .requiredOption('--last-count <n>', "device's last accepted count")
    .option('--used-counts <list>', 'comma-separated counts already used (e.g. 4,6)')
    .option('--restricted-digits', 'the token uses digits 1-4 only (default: inferred from its length)')
    .option('--extended', 'the token is extended (default: inferred from its length)')
    .action((tokenText: string, o: OpenPaygoDecodeCliOptions) => runAction(io, () => openPaygoDecode(tokenText, o)));
}

/** Adds `token sts ...` and `token openpaygo ...` to the gateway CLI; returns the `token` command. */
export function registerTokenCommands(program: Command, io: TokenCliIo = processIo): Command {
  const token = program.command('token').description('STS and OpenPAYGO token tools for technicians, vending integration and tests');
  // Set before the subcommands are created: commander copies both settings into each child.
  token.configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  token.exitOverride((e: CommanderError) => io.exit(e.exitCode === 0 ? 0 : 2));
  registerSts(token, io);
  registerOpenPaygo(token, io);
  return token;
}
