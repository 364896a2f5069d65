/**
 * Issue 14 item 6: random interleavings of gateway top-ups (some delivered twice, some held back by
 * an uplink outage and delivered late), keypad tokens typed on the meter, gateway restarts and
 * meter power cuts, on the real parts of the credit rig (the firmware on a virtual board in the
 * simulator, the gateway's credit runtime on a SQLite file). A seeded generator of our own (testkit seeded, mulberry32) rather
 * than fast-check: one run is one long interleaving on one rig (a rig per fast-check case would cost
 * seconds each), and shrinking a real-time sequence of bus traffic is not meaningful here; the seed
 * is printed, so a failure replays with PROPERTY_SEED=<seed>. PROPERTY_STEPS (default 200, about 15-50 s) sets the length.
 *
 * Invariants, to the sub-unit (an energy account: 1 sub-unit = 1 Wh): ledger balance = opening +
 * every top-up delivered (once each) + every keypad token's Wh − the energy charged (the meter's
 * register at the charge cursor − at the start); no command or token booked twice; the ledger
 * reconciles; the relay ends where the policy says (on with credit, off without).
 */
import test, { type ExecutionContext } from 'ava';
import { encodeToken } from '@prepaid-edge/protocols';
import { seeded } from '@prepaid-edge/testkit/seeded';
import { allEntries, assertLedgerReconciles, creditRig } from './rig.js';
import { KEYS, topUpCmd } from './signer.js';

const SEED = Number(process.env.PROPERTY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const STEPS = Number(process.env.PROPERTY_STEPS ?? 150);

const ENERGY = { id: 'energy', creditUnit: 'energy', subunitsPerUnit: 1, periods: [{ id: 'all', pricePerKwh: 1000 }], tou: [], defaultPeriod: 'all', standingChargePerDay: 0 };
const POLICY = { id: 'p', lowCreditThresholds: [500, 200], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } };
const DECODER_KEY = '6ff35b9d1f3453e6';

/** With emergency credit offered: 'A' on the keypad reaches the policy through the meter's event log. */
const EMERGENCY_POLICY = { ...POLICY, id: 'pe', emergencyCredit: { amount: 800, requiresButton: false } };

interface Variant {
  /** Map revision 2 meters with the event log uploaded (keypad tokens by event seq, 'A' requests). */
  revision2: boolean;
}

test(`random interleavings keep one truth about credit, map revision 1 (seed ${SEED}, ${STEPS} steps)`, (t) => interleave(t, { revision2: false }));
test(`random interleavings keep one truth about credit, map revision 2 with the event log and emergency requests (seed ${SEED}, ${STEPS} steps)`, (t) => interleave(t, { revision2: true }));

async function interleave(t: ExecutionContext, v: Variant): Promise<void> {
  t.timeout(240_000);
  t.log(`PROPERTY_SEED=${SEED} PROPERTY_STEPS=${STEPS}`);
  const rnd = seeded(SEED);
  const pick = (n: number) => Math.floor(rnd() * n);
  const opening = 2000;
  const policy = v.revision2 ? EMERGENCY_POLICY : POLICY;
  const rig = await creditRig(t, {
    credit: { tariffs: { energy: ENERGY }, policies: { p: policy }, classes: { r: { tariff: 'energy', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance: opening }], keys: KEYS, chargeEveryMs: 60_000 },
    watts: 6000, // about 300 Wh a step against about 270 Wh of credit a step: the account goes low, trips and recovers
    ...(v.revision2 ? { profile: 'prepaid-2' as const, eventLog: true } : {}),
  });
  await rig.run(2 * 60_000);
  const startWh = (await rig.credit.ledger.account('p1'))!.cursor!.lastWh - (opening - (await rig.credit.ledger.account('p1'))!.balance);
  let delivered = 0;
  let tokensWh = 0;
  let tid = 0x300000;
  const held: Array<Record<string, unknown>> = [];
  const sent: Array<Record<string, unknown>> = [];
  const trace: string[] = [];
  const fw = () => rig.meter(1).firmware as unknown as { enterToken(d: string): { ok: boolean; wh?: number }; core: { requestEmergencyCredit(): { ok: boolean } } } | undefined;
  for (let i = 0; i < STEPS; i++) {
    const r = rnd();
    if (r < 0.3) {
      const cmd = topUpCmd(rig, 'p1', 100 + pick(900), { currency: 'energy', expiresAt: rig.clock.now() + 86_400_000 });
      if (rnd() < 0.25) {
        held.push(cmd); // the uplink is down: delivered later
        trace.push(`topup held ${String(cmd.id)}`);
      } else {
        const o = await rig.command(cmd);
        t.is(o.status, 'applied', `seed ${SEED} step ${i}: ${JSON.stringify(o)}`);
        delivered += cmd.amount as number;
        sent.push(cmd);
        trace.push(`topup ${String(cmd.amount)}`);
      }
    } else if (r < 0.4 && held.length) {
      for (const cmd of held.splice(0)) {
        const o = await rig.command(cmd);
        t.is(o.status, 'applied', `seed ${SEED} step ${i}: late delivery ${JSON.stringify(o)}`);
        delivered += cmd.amount as number;
        sent.push(cmd);
      }
      trace.push('uplink back');
    } else if (r < 0.47 && sent.length) {
      const again = sent[pick(sent.length)]!;
      const o = await rig.command(again);
      t.is(o.status, 'duplicate', `seed ${SEED} step ${i}: a command delivered twice`);
      trace.push('duplicate');
    } else if (r < 0.62 && fw()) {
      const tenths = 1 + pick(20);
      const out = fw()!.enterToken(encodeToken({ class: 0, subclass: 0, random: pick(16), tid: ++tid, amountTenths: tenths }, DECODER_KEY, { baseDate: 1993 }));
      t.true(out.ok, `seed ${SEED} step ${i}: token`);
      if (process.env.PROPERTY_DEBUG) t.log(`step ${i} token ${tenths * 100} ${JSON.stringify((rig.meter(1).firmware as unknown as { core: { state: { settings: unknown; energy: unknown } } }).core.state.settings)}`);
      tokensWh += tenths * 100;
      trace.push(`token ${tenths * 100}`);
    } else if (r < 0.66 && v.revision2 && fw()) {
      fw()!.core.requestEmergencyCredit(); // 'A': logged only in low credit, else refused by the meter
      trace.push("'A'");
    } else if (r < 0.7) {
      await rig.restart(pick(10) * 60_000);
      trace.push('restart');
    } else if (r < 0.75) {
      const since = rig.clock.now() - rig.sim.startMs;
      rig.sim.addFault(1, { type: 'powerLoss', from: since, until: since + (1 + pick(5)) * 60_000 });
      trace.push('power cut');
    }
    await rig.step((1 + pick(5)) * 60_000);
  }
  for (const cmd of held.splice(0)) {
    t.is((await rig.command(cmd)).status, 'applied');
    delivered += cmd.amount as number;
  }
  // Let the last charges be booked and the relay settle.
  await rig.run(10 * 60_000);
  const acct = (await rig.credit.ledger.account('p1'))!;
  const entries = await allEntries(rig.credit.ledger, 'p1');
  const ctx = `seed ${SEED}; last actions: ${trace.slice(-12).join(', ')}`;
  const topups = entries.filter((e) => e.kind === 'topup');
  const ids = topups.map((e) => (e.cause as { id?: string }).id);
  t.is(new Set(ids).size, ids.length, `no top-up booked twice (${ctx})`);
  const keypad = topups.filter((e) => (e.cause as { source?: string }).source === 'keypad').reduce((s, e) => s + e.amount, 0);
  if (process.env.PROPERTY_DEBUG) for (const e of topups) t.log(JSON.stringify(e));
  t.is(keypad, tokensWh, `every keypad token booked, none twice (${ctx})`);
  t.is(topups.reduce((s, e) => s + e.amount, 0) - keypad, delivered, `every delivered top-up once (${ctx})`);
  const usedWh = acct.cursor!.lastWh - startWh;
  const emergency = entries.filter((e) => e.kind === 'emergency-credit-taken' || e.kind === 'emergency-credit-repaid').reduce((s, e) => s + e.amount, 0);
  if (v.revision2) t.log(`emergency credit taken ${entries.filter((e) => e.kind === 'emergency-credit-taken').length} times, net ${emergency}`);
  t.is(acct.balance, opening + delivered + tokensWh + emergency - usedWh, `balance = opening + credits on either side - consumption x tariff (${ctx})`);
  await assertLedgerReconciles(t, rig.credit.ledger);
  await rig.run(3 * 60_000);
  const balance = (await rig.credit.ledger.account('p1'))!.balance;
  if (balance > 300) t.true(rig.relayClosed(1), `credit left (${balance}): supplied (${ctx})`);
  if (balance <= (v.revision2 ? -800 : 0)) t.false(rig.relayClosed(1), `no credit (${balance}): cut off (${ctx})`);
}
