/** `prepaid-gateway console hash-password | new-token`: secrets for the `console:` config section. */
import type { Command } from 'commander';
import { hashPassword, hashToken, newApiToken } from '../../adapters/web/password.js';

/** Read one line from stdin; on a terminal, without echo. */
export async function readSecret(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) text += (chunk as Buffer).toString('utf8');
    return text.split(/\r?\n/)[0] ?? '';
  }
  output.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let s = '';
    const done = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (err) reject(err);
      else resolve(s);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') s = s.slice(0, -1);
        else s += ch;
      }
    };
    input.on('data', onData);
  });
}

export function registerConsoleCommands(program: Command): void {
  const cmd = program.command('console').description('web console: password hashes and API tokens for the console: config section');
  cmd
    .command('hash-password')
    .description('read a password from stdin (no echo) and print its scrypt hash for console.users[].passwordHash')
    .action(async () => {
      const pw = await readSecret('password: ');
      if (process.stdin.isTTY) {
        const again = await readSecret('again: ');
        if (again !== pw) throw new Error('the passwords differ');
      }
      if (!pw) throw new Error('empty password');
      process.stdout.write(`${await hashPassword(pw)}\n`);
    });
  cmd
    .command('new-token')
    .description('print a new bearer token (give it to the API client) and its hash (for console.apiTokens[].tokenHash or console.metricsTokenHash)')
    .action(() => {
      const token = newApiToken();
      process.stdout.write(`token: ${token}\ntokenHash: ${hashToken(token)}\n`);
    });
}
