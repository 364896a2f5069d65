/**
 * Emergency credit asked for on a prepaid meter's keypad reaches the gateway: the meter (whose local
 * emergency limit the gateway writes as 0) logs the request, the gateway reads it from the meter's
 * event log and its policy grants the credit, booked in the ledger once.
 */
import test from 'ava';
import { prepaidGateway } from './prepaid-gateway.js';

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
const POLICY = { id: 'p', lowCreditThresholds: [1500, 600], emergencyCredit: { amount: 800, requiresButton: true }, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 1000 } };

test("'A' on the keypad: the request reaches the gateway through the meter's event log and the policy grants it once", async (t) => {
  t.timeout(60_000);
  const { sim, gw, events } = await prepaidGateway(t, { id: 'gw-ec', seed: 'emergency-keypad', tariff: FLAT, policy: POLICY, openingBalance: 500 });
  const fw = () => (sim.meter(1) as unknown as { firmware?: { core: { state: { settings: { creditBalance: number } }; requestEmergencyCredit(): { ok: boolean; reason?: string } } } }).firmware!;
  await until('the meter written with the low balance', () => (fw().core.state.settings.creditBalance === 500 ? true : undefined));
  // What the firmware does on 'A' (its keypad path is tested in firmware-ts).
  t.like(fw().core.requestEmergencyCredit(), { ok: false, reason: 'requested from the gateway' });
  const ledger = gw.credit!.ledger;
  const taken = await until('emergency credit booked', async () => {
    const e = (await ledger.entries('p1')).filter((x) => x.kind === 'emergency-credit-taken');
    return e.length ? e : undefined;
  });
  t.is(taken.length, 1);
  t.is(taken[0]!.amount, 800);
  t.like(taken[0]!.cause, { how: 'request' });
  t.truthy(events.find((e) => e.type === 'meter-event' && e.data?.kind === 'emergency-requested'));
  await until('the meter shows the credit', () => (fw().core.state.settings.creditBalance === 1300 ? true : undefined));
  await new Promise((r) => setTimeout(r, 1500));
  t.is((await ledger.entries('p1')).filter((x) => x.kind === 'emergency-credit-taken').length, 1, 'once');
});
