/**
 * SIGTERM at any moment of `prepaid-gateway run`'s start (systemd stopping a service that is
 * still starting, Ctrl-C at the terminal): once the gateway has begun opening its database the
 * stop is a clean one with exit code 0, never a death by the signal half-way; before that (the
 * first few hundred ms of loading code) the default action ends it with nothing opened, which
 * systemd also counts as a clean stop. The installed CLI, real signals.
 */
import { existsSync } from 'node:fs';
import test from 'ava';
import { cliGateway } from './cli-fixture.js';
import { spawnCli } from './run-cli.js';

for (const delayMs of [50, 250, 450, 550, 650, 800, 1000, 1500]) {
  test(`SIGTERM ${delayMs} ms after spawn: ended cleanly`, async (t) => {
    const gw = cliGateway(t);
    const run = spawnCli(t, ['run', '-c', gw.file]);
    await new Promise((r) => setTimeout(r, delayMs));
    run.proc.kill('SIGTERM');
    const code = await run.exited;
    if (run.proc.signalCode === 'SIGTERM') t.false(existsSync(gw.db), 'killed by the signal only before the database was opened');
    else t.is(code, 0, run.stderr());
    t.log(run.proc.signalCode ? 'ended by the signal before anything was opened' : 'stopped by the gateway, exit 0');
  });
}

test('SIGTERM the moment the database file appears (the gateway is half-way through its start): a clean stop, exit 0', async (t) => {
  const gw = cliGateway(t);
  const run = spawnCli(t, ['run', '-c', gw.file]);
  while (!existsSync(gw.db) && run.proc.exitCode === null) await new Promise((r) => setImmediate(r));
  run.proc.kill('SIGTERM');
  const code = await run.exited;
  t.is(run.proc.signalCode, null, `killed by ${run.proc.signalCode} with the database open: the gateway did not listen for it yet\n${run.stderr()}`);
  t.is(code, 0, run.stderr());
});
