/**
 * Map revision 2 prepaid meters (simulator profile `prepaid-2`: the real firmware with mapRevision 2):
 * a keypad token is logged by the meter (event 19) and kept in its own credit registers; the
 * gateway books it once by the event's seq, takes the credit over (tokenCreditBooked) and shows
 * the result on the meter's display. A token that cannot be converted is refused with the reason
 * on the display, in an event and in the audit log.
 */
import test, { type ExecutionContext } from 'ava';
import { encodeToken } from '@prepaid-edge/protocols';
import { openOutbox } from '../../src/adapters/store/index.js';
import type { NewEvent } from '../../src/core/model.js';
import { startGateway } from '../e2e/rig.js';
import { prepaidGateway } from './prepaid-gateway.js';
import { until } from './until.js';


/** The simulator's meters use the STS test vectors' decoder key. */
const token = (tid: number, tenths: number): string => encodeToken({ class: 0, subclass: 0, random: 5, tid, amountTenths: tenths }, '6ff35b9d1f3453e6', { baseDate: 1993 });
const POLICY = { id: 'p', lowCreditThresholds: [200, 100], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } };

interface Fw {
  enterToken(d: string): { ok: boolean };
  core: { state: { tokenCredit?: { totalWh: number; bookedWh: number }; events: { log: Array<{ seq: number; type: number }> } } };
  board?: unknown;
}

async function gateway(t: ExecutionContext, tariff: Record<string, unknown>, opening: number) {
  const { sim, gw, events, cfg } = await prepaidGateway(t, { id: 'gw-kp2', seed: 'keypad-rev2', profile: 'prepaid-2', tariff, policy: POLICY, openingBalance: opening });
  const meter = sim.meter(1) as unknown as { firmware?: Fw; board: { lcdLines(): string[] } };
  return { sim, gw, events, cfg, fw: () => meter.firmware!, lcd: () => meter.board.lcdLines() };
}

test('revision 2: a keypad token is booked once by the meter event seq, then taken over from the meter', async (t) => {
  t.timeout(60_000);
  const energy = { id: 'energy', creditUnit: 'energy', subunitsPerUnit: 1, periods: [{ id: 'all', pricePerKwh: 1000 }], tou: [], defaultPeriod: 'all', standingChargePerDay: 0 };
  const { gw, events, fw, lcd } = await gateway(t, energy, 3000);
  const ledger = gw.credit!.ledger;
  await until('the gateway has written the meter', () => ((fw().core.state as { settings?: { creditBalance: number } }).settings?.creditBalance === 3000 ? true : undefined));
  t.true(fw().enterToken(token(0x200001, 10)).ok, '1 kWh accepted by the meter');
  const seq = fw().core.state.events.log.find((e) => e.type === 19)!.seq;
  const topups = await until('the token booked', async () => {
    const e = (await ledger.entries('p1')).filter((x) => x.kind === 'topup');
    return e.length ? e : undefined;
  });
  t.deepEqual(topups.map((e) => e.amount), [1000]);
  t.like(topups[0]!.cause, { id: `keypad:p1:event:${seq}`, source: 'keypad' });
  await until('taken over from the meter', () => (fw().core.state.tokenCredit?.bookedWh === 1000 ? true : undefined));
  t.deepEqual(lcd(), ['TOKEN BOOKED    ', 'BY GATEWAY      ']);
  t.truthy(events.find((e) => e.type === 'meter-event' && e.data?.kind === 'token-credit' && e.data.value === 1000));
  // A second token: booked once too, by its own seq.
  t.true(fw().enterToken(token(0x200002, 5)).ok);
  await until('the second token taken over', () => (fw().core.state.tokenCredit?.bookedWh === 1500 ? true : undefined));
  await new Promise((r) => setTimeout(r, 1000));
  t.deepEqual((await ledger.entries('p1')).filter((x) => x.kind === 'topup').map((e) => e.amount), [1000, 500], 'each once');
  t.is((await ledger.account('p1'))!.balance, 4500);
});

test('revision 2: a kWh token that cannot be priced on a currency account is refused, on the display, in an event and the audit', async (t) => {
  t.timeout(60_000);
  // A free tariff: a kWh has no currency value to book.
  const free = { id: 'free', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'free', pricePerKwh: 0 }], tou: [], defaultPeriod: 'free', standingChargePerDay: 0 };
  const { gw, events, fw, lcd } = await gateway(t, free, 5000);
  await until('the gateway has written the meter', () => ((fw().core.state as { settings?: { creditBalance: number } }).settings?.creditBalance === 5000 ? true : undefined));
  t.true(fw().enterToken(token(0x200003, 10)).ok, 'the meter accepts it (its own TID memory)');
  const refused = await until('refused', () => events.find((e) => e.type === 'keypad-token-unbooked'));
  t.like(refused.data, { wh: 1000 });
  t.regex(String(refused.data?.reason), /no tariff in force/);
  await until('the reason on the display', () => (lcd()[0]!.startsWith('TOKEN REFUSED') ? true : undefined));
  t.deepEqual(lcd(), ['TOKEN REFUSED   ', 'NO TARIFF       ']);
  await until('the refused credit taken off the meter', () => (fw().core.state.tokenCredit?.bookedWh === 1000 ? true : undefined));
  const audit = await gw.credit!.ledger.auditLog({ meter: 'p1' });
  t.truthy(audit.find((a: { action: string; cause: string }) => a.action === 'keypad-token' && a.cause === 'unbooked'));
  t.is((await gw.credit!.ledger.entries('p1')).filter((x) => x.kind === 'topup').length, 0, 'nothing booked');
});

test('revision 2: a token whose event was stored but never booked (the gateway stopped in between) is booked after the restart, once', async (t) => {
  t.timeout(60_000);
  const energy = { id: 'energy', creditUnit: 'energy', subunitsPerUnit: 1, periods: [{ id: 'all', pricePerKwh: 1000 }], tou: [], defaultPeriod: 'all', standingChargePerDay: 0 };
  const { gw, cfg, fw } = await gateway(t, energy, 3000);
  await until('the gateway has written the meter', () => ((fw().core.state as { settings?: { creditBalance: number } }).settings?.creditBalance === 3000 ? true : undefined));
  await gw.stop('restart');
  t.true(fw().enterToken(token(0x200011, 10)).ok, 'typed while the gateway is down');
  // What a stop between storing the event and booking it leaves: the log upload's mark past the token.
  const counter = fw().core.state.events.log.at(-1)!.seq;
  const outbox = await openOutbox(cfg.storage);
  await outbox.appendEventMarked({ ts: Date.now(), type: 'meter-event', meter: 'p1', data: { seq: counter, kind: 'token-credit', code: 19, value: 1000, meterTs: null } }, { key: 'meter-event-log:p1', value: counter });
  await outbox.close();
  const again: NewEvent[] = [];
  const gw2 = await startGateway(t, cfg, { events: again });
  const ledger = gw2.credit!.ledger;
  await until('booked after the restart', async () => ((await ledger.entries('p1')).some((e) => e.kind === 'topup') ? true : undefined));
  await until('taken over from the meter', () => (fw().core.state.tokenCredit?.bookedWh === 1000 ? true : undefined));
  await new Promise((r) => setTimeout(r, 1000));
  t.deepEqual((await ledger.entries('p1')).filter((e) => e.kind === 'topup').map((e) => [e.amount, (e.cause as { id: string }).id]), [[1000, `keypad:p1:event:${counter}`]], 'once, by the seq');
});
