/**
 * Issue 15, items 4 and 5, as the head end sees them: keys from `prepaid-gateway command keygen`,
 * commands from `command sign` and `command cosign`, through a real mosquitto to the installed
 * `prepaid-gateway run`, which polls a simulated prepaid meter. A co-signed adjustment, a replay,
 * an expired and an under-signed one; a reverse and its repeat; move-out (relay opens, no charging
 * after), move-in of a new holder (relay closes) kept across a restart of the process; a meter
 * swap charged without a gap.
 */
import { join } from 'node:path';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { PREFIX, waitFor } from '../uplink/helpers.js';
import { openGatewayDb } from './gateway-db.js';
import { cli, commandBench, oneMeterCredit, STRICT, type CommandResult } from './one-prepaid-meter.js';
import { rawConfig, runCli, type CliChild } from './rig.js';

type Result = CommandResult;

testWith(['mosquitto'])('corrections and account lifecycle over mosquitto to prepaid-gateway run: co-sign, once each, move-out / move-in across a restart, meter swap', async (t) => {
  t.timeout(180_000);
  const { dir, sub, broker, sim, port } = await commandBench(t, 'e2e-corrections', [2000, 1000]);

  const keys = join(dir, 'keys');
  await cli(['command', 'keygen', '--out', keys, '--key-id', 'ops-a']);
  await cli(['command', 'keygen', '--out', keys, '--key-id', 'ops-b']);
  const gwId = 'e2e-corrections';
  const db = join(dir, 'gw.db');
  const base = oneMeterCredit(keys, 'ops-a', 20_000);
  const second = oneMeterCredit(keys, 'ops-b', 0).keys as unknown[];
  const raw = rawConfig(gwId, db, broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
    meters: [{ id: 'p1', bus: 'tcp1', unit: 1, profile: 'prepaid', pollMs: 250 }],
    credit: { ...base, keys: [...(base.keys as unknown[]), ...second], policies: { strict: { ...STRICT, corrections: { maxAmount: 50_000, maxPerDay: 100_000, cosignAbove: 10_000 } } } },
  });
  let gw: CliChild = runCli(t, dir, raw);
  const root = `${PREFIX}/${gwId}`;
  const running = () => {
    if (gw.proc.exitCode !== null) throw new Error(`the gateway exited (${gw.proc.exitCode})\n${gw.stderr()}`);
    return true;
  };
  const results = () => sub.on(`${root}/commands/results`).map((m) => m.json as unknown as Result);
  const resultOf = async (id: string, n = 1): Promise<Result> => {
    await waitFor(`result ${n} for ${id}`, () => running() && results().filter((r) => r.id === id).length >= n, 20_000);
    return results().filter((r) => r.id === id)[n - 1]!;
  };
  const send = async (text: string, n = 1): Promise<Result> => {
    const id = (JSON.parse(text) as { id: string }).id;
    await sub.client.publishAsync(`${root}/commands`, text.trim(), { qos: 1 });
    return resultOf(id, n);
  };
  const sign = (args: string[]) => cli(['command', 'sign', '--key', join(keys, 'ops-a.private.pem'), '--key-id', 'ops-a', '--meter', 'p1', ...args]);
  const cosign = (text: string) => cli(['command', 'cosign', '-', '--key', join(keys, 'ops-b.private.pem'), '--key-id', 'ops-b'], text);

  await waitFor('the gateway is online', () => running() && sub.on(`${root}/status`).some((m) => m.json.state === 'online'), 30_000);
  const g = await openGatewayDb(t, db);
  const balance = async () => (await g.all<{ balance: number }>("SELECT balance FROM ledger_accounts WHERE meter = 'p1'"))[0]!.balance;
  await waitFor('the relay is closed', () => sim.trueState(1).relayClosed, 20_000);

  // Above the co-sign amount: refused with one signature, applied with two, once.
  const big = await sign(['--type', 'adjustment', '--amount', '15000', '--direction', 'credit', '--reason', 'billing-error']);
  const under = await send(big);
  t.is(under.reason, 'E_COMMAND_COSIGN', JSON.stringify(under));
  const both = await cosign(await sign(['--type', 'adjustment', '--amount', '15000', '--direction', 'credit', '--reason', 'billing-error']));
  const applied = await send(both);
  t.is(applied.status, 'applied', JSON.stringify(applied));
  const replay = await send(both, 2);
  t.is(replay.status, 'duplicate');
  const expired = await send(await sign(['--type', 'refund', '--amount', '100', '--issued-at', String(Date.now() - 3 * 3_600_000), '--ttl', '1h']));
  t.is(expired.reason, 'E_COMMAND_EXPIRED');
  const adjustments = await g.all<{ id: number; amount: number }>("SELECT id, amount FROM ledger_entries WHERE meter = 'p1' AND kind = 'adjustment' AND cause LIKE '%\"correction\":\"adjustment\"%'");
  t.deepEqual(adjustments.map((e) => e.amount), [15_000], 'one adjustment entry');

  // Reverse it: once; the same entry again is refused.
  const rev = await send(await cosign(await sign(['--type', 'reverse', '--entry', String(adjustments[0]!.id), '--reason', 'other'])));
  t.is(rev.status, 'applied', JSON.stringify(rev));
  const again = await send(await cosign(await sign(['--type', 'reverse', '--entry', String(adjustments[0]!.id), '--reason', 'other'])));
  t.is(again.reason, 'E_COMMAND_REVERSAL', JSON.stringify(again));

  // Move-out: final reading from the meter, remaining credit reported, supply off, no charging after.
  const close = await send(await sign(['--type', 'account-close']));
  t.is(close.status, 'applied', JSON.stringify(close));
  const d = close.detail as { finalReading: { source: string; wh: number }; remainingCredit: number; statement: { closingBalance: number } };
  t.is(d.finalReading.source, 'meter');
  // At most the 20,000 of the opening balance: the consumption up to the final reading may still be
  // under one sub-unit when the commands came quickly (a fast machine), so 20,000 itself is right.
  t.true(d.remainingCredit > 19_000 && d.remainingCredit <= 20_000, `remaining credit ${d.remainingCredit}`);
  const charged = (await g.all<{ s: number | null }>("SELECT sum(amount) AS s FROM ledger_entries WHERE meter = 'p1' AND kind IN ('consumption', 'standing-charge')"))[0]!.s ?? 0;
  t.is(d.remainingCredit, 20_000 + charged, 'remaining credit = opening balance - what was charged up to the final reading');
  t.is(d.statement.closingBalance, d.remainingCredit);
  await waitFor('the relay opened', () => !sim.trueState(1).relayClosed, 20_000);
  t.is(await balance(), 0);
  const count = async () => (await g.all<{ n: number }>("SELECT count(*) AS n FROM ledger_entries WHERE meter = 'p1'"))[0]!.n;
  const n = await count();
  await new Promise((r) => setTimeout(r, 1500));
  t.is(await count(), n, 'no charging after the close');
  const topup = await send(await sign(['--type', 'topup', '--amount', '100', '--currency', 'EUR']));
  t.is(topup.reason, 'E_COMMAND_UNKNOWN_METER');

  // A restart: still closed; then move-in of a new holder.
  gw.proc.kill('SIGTERM');
  t.is(await gw.exited, 0, gw.stderr());
  gw = runCli(t, dir, raw);
  await waitFor('online again', () => running() && sub.on(`${root}/status`).filter((m) => m.json.state === 'online').length >= 2, 30_000);
  await new Promise((r) => setTimeout(r, 1000));
  t.is(await count(), n, 'still closed after the restart');
  t.false(sim.trueState(1).relayClosed);
  const open = await send(await cosign(await sign(['--type', 'account-open', '--customer', 'C-2', '--customer-class', 'residential', '--opening-balance', '12000'])));
  t.is(open.status, 'applied', JSON.stringify(open));
  t.is(open.balance, 12_000);
  await waitFor('the relay closed for the new holder', () => sim.trueState(1).relayClosed, 20_000);
  const holder = await g.all<{ customer: string }>("SELECT customer FROM ledger_accounts WHERE meter = 'p1'");
  t.is(holder[0]!.customer, 'C-2');
  await waitFor('charging the new holder', async () => (await balance()) < 12_000, 20_000);

  // Meter swap: the device at p1's address becomes another meter (the simulator's unit 2) with its own register.
  const register = (unit: number) => (sim.trueState(unit) as unknown as { firmware: { energyImportWh: number } }).firmware.energyImportWh;
  const old = sim.meter(1) as unknown as { handlePdu(p: Uint8Array): Buffer };
  const fresh = sim.meter(2) as unknown as { handlePdu(p: Uint8Array): Buffer };
  // The procedure (docs/mqtt.md): the old meter is taken off the bus (reads fail), the swap is sent, then the new one is fitted.
  old.handlePdu = (p) => Buffer.from([p[0]! | 0x80, 0x0b]);
  await new Promise((r) => setTimeout(r, 600));
  const oldFinal = register(1);
  const newStart = register(2);
  const swap = await send(await sign(['--type', 'meter-swap', '--old-final-reading', String(oldFinal), '--new-serial', 'SN-NEW', '--new-start-reading', String(newStart)]));
  t.is(swap.status, 'applied', JSON.stringify(swap));
  old.handlePdu = (p) => fresh.handlePdu(p);
  const before = await balance();
  await waitFor('the new meter is charged', async () => (await balance()) < before, 20_000);
  const rebaselines = await g.all<{ n: number }>("SELECT count(*) AS n FROM ledger_audit WHERE meter = 'p1' AND action = 'baseline' AND id > (SELECT max(id) FROM ledger_audit WHERE action = 'meter-swap')");
  t.is(rebaselines[0]!.n, 0, 'no re-baseline after the swap: the new meter is charged from its start reading');
  const verify = await g.all<{ n: number }>("SELECT count(*) AS n FROM ledger_accounts a WHERE a.balance != (SELECT coalesce(sum(amount), 0) FROM ledger_entries e WHERE e.meter = a.meter)");
  t.is(verify[0]!.n, 0, 'balances equal the sum of their entries');
  gw.proc.kill('SIGTERM');
  t.is(await gw.exited, 0, gw.stderr());
});
