/**
 * #14 item 1: a prepaid meter's power down and power up (from its event log) each become exactly
 * one no-charge record in the ledger (a posting with no entry of its own, audit `meter-record`,
 * id `meter-event:<meter>:<seq>`), also for a cut while the gateway was down, and the energy used
 * meanwhile is charged once. Checked in the ledger file itself after a restart.
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Simulator } from '@prepaid-edge/simulator';
import type { NewEvent } from '../../src/core/model.js';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { configOf, rawConfig, startGateway } from '../e2e/rig.js';
import { tempDir } from '../store/temp-dir.js';
import { until } from './until.js';
import { KEYS } from '../credit/scenario/signer.js';


const ENERGY = { id: 'energy', creditUnit: 'energy', subunitsPerUnit: 1, periods: [{ id: 'all', pricePerKwh: 1000 }], tou: [], defaultPeriod: 'all', standingChargePerDay: 0 };
const POLICY = { id: 'p', lowCreditThresholds: [500, 200], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } };

/** One simulated prepaid meter (no load) on Modbus TCP and a gateway config with its energy account. */
async function rig(t: ExecutionContext, name: string) {
  const sim = new Simulator({ profile: 'prepaid', meters: 1, seed: name });
  sim.setLoad(1, { type: 'constant', watts: 0 });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const raw = rawConfig(`gw-${name}`, join(tempDir(t), 'gw.db'), 'mqtt://127.0.0.1:1', {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 300 }],
    meters: [{ id: 'p1', bus: 'tcp1', unit: 1, profile: 'prepaid', pollMs: 250 }],
    credit: { tariffs: { t: ENERGY }, policies: { p: POLICY }, classes: { r: { tariff: 't', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance: 100_000 }], keys: KEYS },
  });
  return { sim, raw };
}

test('power down and up each become one no-charge ledger record by the meter event seq, also for a cut while the gateway was down', async (t) => {
  t.timeout(90_000);
  const { sim, raw } = await rig(t, 'power-records');
  const since = () => sim.clock.now() - sim.startMs;
  const seen: NewEvent[] = [];
  const powerEvents = (evs: NewEvent[]) => evs.filter((e) => e.type === 'meter-event' && (e.data?.kind === 'power-down' || e.data?.kind === 'power-up'));
  const gw = await startGateway(t, configOf(raw), { events: seen });
  const records = async (l = gw.credit!.ledger) => (await l.auditLog({ meter: 'p1', action: 'meter-record' })).map((a) => ({ cause: a.cause, id: (a.detail as { id: string }).id }));
  const cut = since();
  sim.addFault(1, { type: 'powerLoss', from: cut, until: cut + 1500 });
  await until('power down and up recorded', async () => (await records()).some((r) => r.cause === 'power-down') && (await records()).filter((r) => r.cause === 'power-up').length >= 2);
  await new Promise((r) => setTimeout(r, 500));
  const first = await records();
  const uploaded = powerEvents(seen);
  t.deepEqual(first.map((r) => r.id).sort(), uploaded.map((e) => `meter-event:p1:${String(e.data!.seq)}`).sort(), 'one record per uploaded power event, by its seq');
  await gw.stop('restart');

  // While the gateway is down the meter runs a load, loses supply and gets it back.
  sim.setLoad(1, { type: 'constant', watts: 3000 });
  const cutWhileDown = since();
  sim.addFault(1, { type: 'powerLoss', from: cutWhileDown + 500, until: cutWhileDown + 1500 });
  await new Promise((r) => setTimeout(r, 2500));
  sim.states();
  const again: NewEvent[] = [];
  const gw2 = await startGateway(t, configOf(raw), { events: again });
  await until('the cut while down recorded', async () => powerEvents(again).length >= 2 && (await records(gw2.credit!.ledger)).length >= first.length + 2);
  await new Promise((r) => setTimeout(r, 1000));
  await gw2.stop('end');

  const ledger = await openLedger(configOf(raw).storage.path);
  t.teardown(() => ledger.close());
  const all = await records(ledger);
  t.is(new Set(all.map((r) => r.id)).size, all.length, 'no record twice');
  t.is(all.length, first.length + powerEvents(again).length, 'one per power event, the new ones after the restart');
  const entries = await ledger.entries('p1');
  t.deepEqual(entries.filter((e) => JSON.stringify(e.cause).includes('meter-event:')), [], 'no money moved by a power event');
  const used = -entries.filter((e) => e.kind === 'consumption').reduce((s, e) => s + e.amount, 0);
  const credited = entries.filter((e) => e.kind === 'topup').reduce((s, e) => s + e.amount, 0); // credit the meter held at first sync
  const others = entries.filter((e) => e.kind !== 'consumption' && e.kind !== 'topup');
  t.deepEqual(others.map((e) => [e.kind, e.amount, (e.cause as { reason?: string }).reason]), [['adjustment', 100_000, 'opening balance']], 'the opening balance, nothing else');
  const acct = (await ledger.account('p1'))!;
  t.is(acct.balance, 100_000 + credited - used, 'consumption charged once');
  t.true(used > 0, 'the energy used while the gateway was down is charged');
  t.true((await ledger.verify()).ok);
});

test('a crash right after a power event is stored: its ledger record is already there (acted on before the store), and not made twice', async (t) => {
  t.timeout(90_000);
  const { sim, raw } = await rig(t, 'power-records-crash');
  const gw = await startGateway(t, configOf(raw));
  // The process "dies" the instant the first power-down and its mark are committed: nothing after
  // the store runs (no observers, no engine), and the next start finds the mark already moved.
  const walker = gw.meterEvents as unknown as { stopped: boolean; deps: { outbox: { appendEventMarked: (e: NewEvent, m: unknown) => Promise<unknown> } } };
  const outbox = walker.deps.outbox;
  const real = outbox.appendEventMarked.bind(outbox);
  let died: number | undefined;
  let release: (e: Error) => void = () => undefined;
  outbox.appendEventMarked = async (e, m) => {
    const r = await real(e, m);
    if (died === undefined && e.type === 'meter-event' && e.data?.kind === 'power-down') {
      died = e.data.seq as number;
      await new Promise((_, reject) => (release = reject));
    }
    return r;
  };
  const records = async (l = gw.credit!.ledger) => (await l.auditLog({ meter: 'p1', action: 'meter-record' })).map((a) => ({ cause: a.cause, id: (a.detail as { id: string }).id }));
  const cut = sim.clock.now() - sim.startMs;
  sim.addFault(1, { type: 'powerLoss', from: cut, until: cut + 1500 });
  await until('the power-down stored', async () => died !== undefined);
  walker.stopped = true; // no further walks in this life
  release(new Error('the gateway died here'));
  await gw.stop('crash');

  const gw2 = await startGateway(t, configOf(raw));
  await until('the power-up recorded after the restart', async () => (await records(gw2.credit!.ledger)).some((r) => r.cause === 'power-up'));
  await new Promise((r) => setTimeout(r, 1000));
  const all = await records(gw2.credit!.ledger);
  t.deepEqual(all.filter((r) => r.cause === 'power-down').map((r) => r.id), [`meter-event:p1:${died}`], 'the power-down has its one record although the gateway died right after storing it');
  t.is(new Set(all.map((r) => r.id)).size, all.length, 'no record twice');
  t.true((await gw2.credit!.ledger.verify()).ok);
});
