/**
 * Issue 11, item 4: the command path end to end, as the head end and a technician see it. Keys and
 * signed top-ups come from `prepaid-gateway command keygen | sign`; they travel through a real
 * mosquitto to the `prepaid-gateway run` process, which polls a simulated prepaid meter whose relay
 * is open because its credit is exhausted. Seen from outside: the result message, the ledger entry
 * in the SQLite file, the relay closing on the meter; then a replay, an expired and a forged command.
 */
import { join } from 'node:path';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { PREFIX, waitFor } from '../uplink/helpers.js';
import { openGatewayDb } from './gateway-db.js';
import { cli, commandBench, oneMeterCredit, type CommandResult } from './one-prepaid-meter.js';
import { rawConfig, runCli } from './rig.js';

/** 0.300 EUR/kWh in milli-EUR; trips at 0, reconnects by itself from 0.100 EUR. */

type Result = CommandResult;

testWith(['mosquitto'])('signed top-up over mosquitto to prepaid-gateway run: applied, in the ledger, relay closes; replay duplicate, expired and forged rejected', async (t) => {
  t.timeout(120_000);
  const { dir, sub, broker, sim, port } = await commandBench(t, 'e2e-command', [2000]);

  await cli(['command', 'keygen', '--out', join(dir, 'keys'), '--key-id', 'utility-e2e']);
  const gwId = 'e2e-command';
  const db = join(dir, 'gw.db');
  const raw = rawConfig(gwId, db, broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
    meters: [{ id: 'p1', bus: 'tcp1', unit: 1, profile: 'prepaid', pollMs: 250 }],
    credit: oneMeterCredit(join(dir, 'keys'), 'utility-e2e', 0),
  });
  const gw = runCli(t, dir, raw);
  const root = `${PREFIX}/${gwId}`;
  const results = () => sub.on(`${root}/commands/results`).map((m) => m.json as unknown as Result);
  const resultOf = async (id: string, n = 1): Promise<Result> => {
    await waitFor(`result ${n} for ${id}`, () => running() && results().filter((r) => r.id === id).length >= n, 20_000).catch((e: Error) => t.fail(`${e.message}\n${gw.stderr()}`));
    return results().filter((r) => r.id === id)[n - 1]!;
  };
  const publish = (cmd: string) => sub.client.publishAsync(`${root}/commands`, cmd, { qos: 1 });

  const running = () => {
    if (gw.proc.exitCode !== null) throw new Error(`the gateway exited (${gw.proc.exitCode})`);
    return true;
  };
  await waitFor('the relay opened: no credit', () => running() && !sim.trueState(1).relayClosed, 30_000).catch((e: Error) => t.fail(`${e.message}\n${gw.stderr()}`));
  await waitFor('the gateway is online', () => sub.on(`${root}/status`).some((m) => m.json.state === 'online'));

  const sign = (extra: string[]) => cli(['command', 'sign', '--key', join(dir, 'keys', 'utility-e2e.private.pem'), '--key-id', 'utility-e2e', '--type', 'topup', '--meter', 'p1', '--currency', 'EUR', ...extra]);
  const [topupText, expiredText] = await Promise.all([
    sign(['--amount', '5000', '--ttl', '1h']),
    sign(['--amount', '7000', '--issued-at', String(Date.now() - 2 * 3_600_000), '--ttl', '30m']),
  ]);
  const topup = JSON.parse(topupText) as { id: string; sig: string; amount: number };

  await publish(topupText.trim());
  const applied = await resultOf(topup.id);
  t.is(applied.status, 'applied', JSON.stringify(applied));
  t.true(typeof applied.balance === 'number' && applied.balance > 4900 && applied.balance <= 5000, `balance after the top-up: ${applied.balance}`);
  await waitFor('the relay closed again', () => sim.trueState(1).relayClosed, 20_000).catch((e: Error) => t.fail(`${e.message}\n${gw.stderr()}`));

  const g = await openGatewayDb(t, db);
  const topups = () => g.all<{ amount: number; cause: string }>("SELECT amount, cause FROM ledger_entries WHERE meter = 'p1' AND kind = 'topup'");
  t.deepEqual((await topups()).map((e) => e.amount), [5000], 'one top-up entry in the ledger');
  t.true((await topups())[0]!.cause.includes(topup.id), `the entry names the command: ${(await topups())[0]!.cause}`);

  await publish(topupText.trim()); // the head end resends: same id, same signature
  const replay = await resultOf(topup.id, 2);
  t.is(replay.status, 'duplicate', JSON.stringify(replay));
  t.is(replay.original?.status, 'applied');
  t.is(replay.original?.balance, applied.balance, 'answered with the original result');

  const expired = JSON.parse(expiredText) as { id: string };
  await publish(expiredText.trim());
  const late = await resultOf(expired.id);
  t.is(late.status, 'rejected');
  t.is(late.reason, 'E_COMMAND_EXPIRED', JSON.stringify(late));

  const forged = { ...topup, id: `${topup.id}-forged`, amount: 500000 }; // fields changed after signing
  await publish(JSON.stringify(forged));
  const bad = await resultOf(forged.id);
  t.is(bad.status, 'rejected');
  t.is(bad.reason, 'E_COMMAND_SIGNATURE', JSON.stringify(bad));

  t.deepEqual((await topups()).map((e) => e.amount), [5000], 'still one top-up entry: the replay, the expired and the forged command changed nothing');
  // The meter's own records (power down/up, kept once by their event seq) share the table: signed commands only.
  const recorded = await g.all<{ id: string }>("SELECT id FROM ledger_commands WHERE type <> 'meter-record' ORDER BY id");
  t.deepEqual(recorded.map((r) => r.id).sort(), [topup.id, expired.id].sort(), 'executed and post-signature rejections recorded once each; the forged id is not claimed');
  t.log(`applied: balance ${applied.balance}; expired: ${late.message}; forged: ${bad.message}`);
  t.is(gw.proc.exitCode, null, 'the gateway kept running');
  gw.proc.kill('SIGTERM');
  t.is(await gw.exited, 0, gw.stderr());
});
