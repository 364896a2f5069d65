/** `prepaid-gateway command keygen | sign | verify`: the utility's side of signed commands (docs/mqtt.md#commands). */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isPrepaidError, systemClock } from '@prepaid-edge/protocols';
import { parsePublicKey } from '../../core/commands/keys.js';
import { buildSignedCommand, cosignCommandText, gitWorkTree, keygen, verifyCommandText, type SignOptions } from './sign-cli.js';

function fail(e: unknown): never {
  const msg = isPrepaidError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
  process.stderr.write(`prepaid-gateway: ${msg}\n`);
  process.exit(2);
}

/** A file's text, or standard input for `-`. */
function readInput(file: string): string {
  return readFileSync(file === '-' ? 0 : file, 'utf8');
}

export function registerCommandCommands(program: Command): void {
  const cmd = program.command('command').description('signed commands: make a key pair, sign a command, check a signature');

  cmd
    .command('keygen')
    .description('make an Ed25519 key pair: private key (mode 0600) and public key in DIR; prints the configuration snippet')
    .requiredOption('--out <dir>', 'directory for the key files (created if missing)')
    .option('--key-id <id>', 'name of the key in the gateway configuration and of the files', 'utility-1')
    .action((o: { out: string; keyId: string }) => {
      try {
        const r = keygen(o.out, o.keyId);
        const repo = gitWorkTree(o.out);
        if (repo) process.stderr.write(`warning: ${r.privateKeyPath} is inside the git work tree ${repo}: never commit it; move it out of the repository or make sure .gitignore covers it\n`);
        process.stdout.write(
          [
            `private key: ${r.privateKeyPath} (keep it secret; mode 0600)`,
            `public key:  ${r.publicKeyPath}`,
            `public key, raw base64: ${r.publicKeyRaw}`,
            '',
            'Add under `credit:` in the gateway configuration (credit.keys; if credit.keys exists, add only the list item):',
            '',
            r.configSnippet,
          ].join('\n'),
        );
      } catch (e) {
        fail(e);
      }
    });

  cmd
    .command('sign')
    .description('print a signed command as one line of JSON (id: a random UUID, issuedAt: now, unless given)')
    .requiredOption('--key <file>', 'private key, PKCS#8 PEM (from `command keygen`)')
    .requiredOption('--key-id <id>', 'keyId under which the gateway knows the public key')
    .option('--ttl <duration>', 'lifetime from issuedAt: 90s, 30m, 1h, 7d (default 1h)')
    .option('--json <file>', 'command fields as a JSON object, from a file or - for stdin; flags override them')
    .option('--type <type>', 'topup | tariff | policy | relay-override | token | emergency-credit | points-redeem | adjustment | refund | reverse | account-open | account-close | meter-swap | config')
    .option('--meter <id>', 'meter id')
    .option('--amount <n>', 'top-up amount, integer account sub-units (Wh for energy accounts)')
    .option('--currency <code>', "ISO 4217 code of the account, or 'energy'")
    .option('--customer-class <id>', 'customer class (tariff, policy)')
    .option('--active-from <time>', 'tariff / policy start: epoch ms, ISO 8601, or a duration after issuedAt')
    .option('--state <state>', 'relay-override: connected | disconnected | auto')
    .option('--until <time>', 'relay-override end: epoch ms, ISO 8601, or a duration after issuedAt (2h)')
    .option('--scheme <scheme>', 'token: sts | openpaygo')
    .option('--token <digits>', 'token digits')
    .option('--note <text>', 'free text kept in the audit trail')
    .option('--direction <dir>', 'adjustment: credit | debit')
    .option('--reason <code>', 'adjustment, reverse: billing-error | meter-fault | tariff-error | duplicate-payment | payment-failed | goodwill | fraud-recovery | other')
    .option('--reference <ref>', "refund: the payout's reference")
    .option('--entry <id>', 'reverse: the ledger entry id to reverse')
    .option('--customer <id>', 'account-open: the customer (account holder) id')
    .option('--opening-balance <n>', 'account-open: opening balance, integer sub-units')
    .option('--final-reading <wh>', "account-close: the register read at the meter (Wh), used if the gateway cannot read it")
    .option('--old-final-reading <wh>', "meter-swap: the old meter's final register (Wh)")
    .option('--new-serial <serial>', "meter-swap: the new meter's serial number")
    .option('--new-start-reading <wh>', "meter-swap: the new meter's register when fitted (Wh)")
    .option('--cosign-key <file>', 'a second private key that co-signs the same text (corrections above the policy co-sign amount)')
    .option('--cosign-key-id <id>', 'keyId of the co-signing key')
    .option('--id <id>', 'command id (default: a random UUID)')
    .option('--issued-at <time>', 'epoch ms or ISO 8601 (default: now)')
    .action((o: SignOptions & { key: string; json?: string; cosignKey?: string }) => {
      try {
        const json = o.json === undefined ? undefined : readInput(o.json);
        const cosignKey = o.cosignKey === undefined ? {} : { cosignKey: readFileSync(o.cosignKey, 'utf8') };
        const signed = buildSignedCommand(o, { now: systemClock.now(), uuid: randomUUID, json, privateKey: readFileSync(o.key, 'utf8'), ...cosignKey });
        process.stdout.write(`${JSON.stringify(signed)}\n`);
      } catch (e) {
        fail(e);
      }
    });

  cmd
    .command('cosign [file]')
    .description('co-sign a signed command (file or stdin) with a second, different key: adds cosig over the same canonical text; prints it as one line')
    .requiredOption('--key <file>', 'the second private key, PKCS#8 PEM')
    .requiredOption('--key-id <id>', 'keyId under which the gateway knows it')
    .action((file: string | undefined, o: { key: string; keyId: string }) => {
      try {
        process.stdout.write(`${JSON.stringify(cosignCommandText(readInput(file ?? '-'), readFileSync(o.key, 'utf8'), o.keyId))}\n`);
      } catch (e) {
        fail(e);
      }
    });

  cmd
    .command('verify [file]')
    .description("check a signed command's fields and signature against a public key (not its expiry, meter or amount); prints the canonical text signed")
    .requiredOption('--public-key <key>', 'public key file (PEM) or the raw base64 key')
    .action((file: string | undefined, o: { publicKey: string }) => {
      try {
        const key = parsePublicKey(existsSync(o.publicKey) ? readFileSync(o.publicKey, 'utf8') : o.publicKey, '--public-key');
        const r = verifyCommandText(readInput(file ?? '-'), key);
        if (r.canonical !== null) process.stdout.write(`signed text: ${r.canonical}\n`);
        if (!r.ok) fail(new Error(r.message));
        process.stdout.write('signature: ok\n');
      } catch (e) {
        fail(e);
      }
    });
}
