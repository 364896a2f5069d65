/**
 * Issue 15, item 3 (b): `prepaid-gateway run` (the installed CLI) SIGKILLed several times at random
 * points while two prepaid meters are charged and signed top-ups arrive over mosquitto (also while
 * it is dead: the broker keeps them for its persistent session). At the end the head end's rebuild
 * from the ledger stream alone equals every balance in the file, the seqs 1..n arrived without a
 * gap, and no seq ever named two different entries. LEDGER_KILL_N and LEDGER_KILL_SEED replay a run.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { seeded } from '@prepaid-edge/testkit/seeded';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { signCommand } from '../../src/core/commands/keys.js';
import { publicPem, utilityKey } from '../commands/fixtures.js';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, subscribe, waitFor } from '../uplink/helpers.js';
import { openGatewayDb } from '../e2e/gateway-db.js';
import { rawConfig, runCli, sleep } from '../e2e/rig.js';
import { assertRebuildEqualsLedger, creditFor, ledgerMessages, ledgerTruth, seqConflicts } from './stream-rig.js';

const N = Number(process.env.LEDGER_KILL_N ?? 8);
const SEED = Number(process.env.LEDGER_KILL_SEED ?? Date.now() % 1_000_000);

testWith(['mosquitto'])(`ledger stream kill loop: ${N} x SIGKILL of prepaid-gateway run while charging and top-ups go on; rebuild = ledger, 0 mismatches, seq gap-free`, async (t) => {
  t.timeout(Math.max(120_000, N * 12_000));
  t.log(`seed ${SEED} (LEDGER_KILL_SEED=${SEED} replays the delays)`);
  const rnd = seeded(SEED);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const meters = ['p1', 'p2'];
  const sim = new Simulator({ profile: 'prepaid', meters: meters.length, seed: 'stream-kill-loop' });
  meters.forEach((_, i) => sim.setLoad(i + 1, { type: 'constant', watts: 3000 + 2000 * i }));
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const dir = tempDir(t);
  const gwId = 'stream-kill-loop';
  const path = join(dir, 'gw.db');
  const raw = rawConfig(gwId, path, broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
    meters: meters.map((m, i) => ({ id: m, bus: 'tcp1', unit: i + 1, profile: 'prepaid', pollMs: 100 })),
    credit: creditFor(meters, 500_000, 300, [{ keyId: 'utility-1', publicKey: publicPem(utilityKey) }]),
  });
  const sent: string[] = [];
  const topUp = async () => {
    const id = randomUUID();
    const now = Date.now();
    const cmd = signCommand({ id, type: 'topup', meter: meters[sent.length % meters.length]!, amount: 1000 + sent.length, currency: 'EUR', issuedAt: now - 1000, expiresAt: now + 600_000 }, utilityKey, 'utility-1');
    sent.push(id);
    await sub.client.publishAsync(`${PREFIX}/${gwId}/commands`, JSON.stringify(cmd), { qos: 1 });
  };

  let g: Awaited<ReturnType<typeof openGatewayDb>> | undefined;
  const lastId = async () => (g ? ((await g.all<{ id: number | null }>('SELECT max(id) AS id FROM ledger_entries'))[0]?.id ?? 0) : 0);
  for (let i = 0; i < N; i++) {
    const gw = runCli(t, dir, raw);
    g ??= await openGatewayDb(t, path);
    const before = await lastId().catch(() => 0);
    await waitFor(`run ${i}: a new ledger entry`, async () => {
      if (gw.proc.exitCode !== null) throw new Error(`run ${i}: the gateway exited (${gw.proc.exitCode}):\n${gw.stderr()}`);
      return (await lastId().catch(() => 0)) > before;
    }, 20_000).catch((e: Error) => t.fail(`${e.message}\n${gw.stderr()}`));
    // Online means subscribed (the uplink publishes it after the SUBACK): from then on the broker keeps commands for it.
    if (i === 0) await waitFor('the gateway online', () => sub.on(`${PREFIX}/${gwId}/status`).some((m) => m.json.state === 'online'), 20_000);
    await topUp();
    await sleep(200 + rnd() * 1300);
    gw.proc.kill('SIGKILL');
    await gw.exited;
    if (i % 2 === 1) await topUp(); // arrives while the gateway is dead: queued by the broker
  }

  // A clean last run: the backlog goes, then the meters stop answering so no new entries come.
  const final = runCli(t, dir, raw);
  await waitFor('the final run charges', async () => (await lastId()) > 0 && ledgerMessages(sub, gwId).length > 0, 20_000);
  await sleep(1500);
  meters.forEach((_, i) => sim.addFault(i + 1, { type: 'noReply', rate: 1 }));
  await sleep(1500);
  final.proc.kill('SIGTERM');
  t.is(await final.exited, 0, final.stderr());

  const truth = await ledgerTruth(g!);
  const r = await assertRebuildEqualsLedger(t, sub, gwId, truth);
  t.deepEqual(seqConflicts(sub, gwId), [], 'no seq ever named two different entries: seqs are the same across restarts');
  const topups = await g!.all<{ cause: string }>("SELECT cause FROM ledger_entries WHERE kind = 'topup'");
  const applied = sent.filter((id) => topups.some((e) => e.cause.includes(id)));
  // A command is acknowledged to the broker only once applied, so none is lost to a kill.
  t.is(applied.length, sent.length, `every top-up applied (${applied.length} of ${sent.length} sent)`);
  t.is(topups.length, applied.length, 'each applied top-up once');
  t.true((truth.kinds.get('consumption') ?? 0) > N, 'charging went on across the kills');
  const s = r.summary();
  t.log(`${N} kills; ${truth.entries} entries (${[...truth.kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); ${s.applied} applied at the head end, ${s.duplicates} duplicates dropped; top-ups ${applied.length}/${sent.length}`);
});
