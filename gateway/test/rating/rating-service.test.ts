/** The rating service on a real ledger file: incremental folds, reminders in the SQLite outbox, the daily pass, grade changes audited, forwarded and moving bands, a restart. */
import { join } from 'node:path';
import test from 'ava';
import { ManualClock } from '@prepaid-edge/protocols';
import { openLedger, type Ledger } from '../../src/adapters/store/ledger/index.js';
import { RatingStore } from '../../src/adapters/rating/rating-store.js';
import { RatingService } from '../../src/adapters/rating/rating-service.js';
import { createLogger } from '../../src/adapters/log.js';
import { initialAccountState } from '../../src/core/policy/index.js';
import { DAY_MS, parseRating } from '../../src/core/rating/index.js';
import type { NewEvent } from '../../src/core/model.js';
import { tempDir } from '../store/temp-dir.js';

const T0 = Date.UTC(2026, 2, 1);
const rules = parseRating({
  score: { base: 600, halfLifeDays: 180, weights: { topUpBeforeEmpty: 5, topUpAfterEmpty: -15, daysInDebt: -4, disconnections: -40, tamper: -150 } },
  classes: [{ name: 'A', band: 'gentle', minScore: 600 }, { name: 'C', band: 'strict' }],
  bands: { gentle: { policy: 'res', reminderLeadDays: 3 }, strict: { policy: 'tight', reminderLeadDays: 2, arrearsEveryDays: 1 } },
  reminders: { languages: { p2: 'zh-CN' } },
});
const TEMPLATES = {
  en: { 'days-left': '{meter} {daysLeft} days left', arrears: '{meter} owes {debt}', 'disconnect-notice': '{meter} off at {at}', 'topup-receipt': '{meter} got {amount} {unit}, balance {balance}' },
  'zh-CN': { 'days-left': '{meter} 还剩 {daysLeft} 天', arrears: '{meter} 欠费 {debt}', 'disconnect-notice': '{meter} 将于 {at} 停电', 'topup-receipt': '{meter} 充值 {amount} {unit}，余额 {balance}' },
};
const ACCOUNTS = [
  { meter: 'p1', customer: 'C-1', contract: 'res', creditUnit: 'currency' as const, currency: 'CNY' },
  { meter: 'p2', customer: 'C-2', contract: 'res', creditUnit: 'currency' as const, currency: 'CNY' },
];

async function setup(t: import('ava').ExecutionContext) {
  const db = join(tempDir(t), 'gw.db');
  const ledger = await openLedger(db);
  t.teardown(() => ledger.close());
  for (const a of ACCOUNTS) await ledger.ensureAccount({ meter: a.meter, customer: a.customer, customerClass: 'res', creditUnit: 'currency', currency: 'CNY' }, initialAccountState());
  return { db, ledger };
}

function service(t: import('ava').ExecutionContext, store: RatingStore, ledger: Ledger, clock: ManualClock) {
  const events: NewEvent[] = [];
  const bands: Array<[string, string]> = [];
  const s = new RatingService({
    store,
    rules,
    templates: TEMPLATES,
    gatewayId: 'gw-r',
    zone: 'Asia/Shanghai',
    clock,
    log: createLogger({ level: 'silent' }),
    accounts: () => ACCOUNTS,
    subunitsPerUnit: () => 100,
    event: (e) => events.push(e),
    audit: async (a) => void (await ledger.audit(a)),
    setBand: async (meter, band) => void bands.push([meter, band]),
  });
  t.teardown(() => s.stop());
  return { s, events, bands };
}

const post = (ledger: Ledger, meter: string, kind: 'topup' | 'consumption', amount: number, ts: number) =>
  ledger.post({ meter, ts, entries: [{ kind, amount, ts, cause: {} }], audit: { action: kind === 'topup' ? 'topup' : 'charge', cause: 'test' } });

test('receipts, days-left and arrears go to the outbox once; the daily pass stores, audits, forwards and moves bands; a restart goes on from the cursor', async (t) => {
  const { db, ledger } = await setup(t);
  const clock = new ManualClock({ now: T0 });
  // p1 pays on time; p2 runs into debt and is disconnected.
  await post(ledger, 'p1', 'topup', 9_000, T0);
  await post(ledger, 'p2', 'topup', 2_000, T0);
  for (let d = 0; d < 7; d++) {
    await post(ledger, 'p1', 'consumption', -1_000, T0 + d * DAY_MS + 3_600_000);
    await post(ledger, 'p2', 'consumption', -1_000, T0 + d * DAY_MS + 3_600_000);
  }
  await ledger.audit({ ts: T0 + 3 * DAY_MS, meter: 'p2', action: 'relay-disconnected', cause: 'credit-exhausted', detail: { result: 'verified' } });
  const store = await RatingStore.open(db);
  t.teardown(() => store.close());
  const a = service(t, store, ledger, clock);
  await a.s.load();
  // A week later: p1 has 2000 left at 1000 a day (2 days: the lead of the band of an account not yet rated, the last class's), p2 owes 5000.
  clock.set(T0 + 7 * DAY_MS);
  const first = await a.s.check();
  // The top-ups of a week ago get no receipt (older than a day when first seen: no flood on a first start).
  t.deepEqual(first.map((r) => `${r.meter} ${r.kind}`).sort(), ['p1 days-left', 'p2 arrears']);
  const queued = await store.notifications();
  t.is(queued.length, 2);
  t.is(queued.find((n) => n.meter === 'p1')!.payload.text, 'p1 2 days left');
  t.is(queued.find((n) => n.meter === 'p2')!.payload.text, 'p2 欠费 50.00');
  t.is(a.events.filter((e) => e.type === 'reminder').length, 2);
  // Nothing new: no reminder twice.
  t.deepEqual(await a.s.check(), []);

  const ratings = await a.s.regrade();
  const p1 = ratings.find((r) => r.meter === 'p1')!;
  const p2 = ratings.find((r) => r.meter === 'p2')!;
  t.is(p1.grade, 'A');
  t.is(p2.grade, 'C');
  t.true(p2.factors.some((f) => f.factor === 'disconnections' && f.total === 1 && f.points < 0));
  t.true(p2.factors.some((f) => f.factor === 'daysInDebt' && f.total > 4));
  t.deepEqual((await store.latest()).map((r) => [r.meter, r.score, r.grade]), [['p1', p1.score, 'A'], ['p2', p2.score, 'C']]);
  const audit = await ledger.auditLog({ action: 'customer-grade' });
  t.deepEqual(audit.map((x) => [x.meter, (x.detail as { to: string }).to]), [['p1', 'A'], ['p2', 'C']]);
  t.deepEqual(a.bands, [['p1', 'gentle'], ['p2', 'strict']]);
  t.is(a.events.filter((e) => e.type === 'credit-rating').length, 2);
  t.is(a.events.filter((e) => e.type === 'customer-grade-changed').length, 2);

  // The same day again: no change, nothing audited or forwarded again.
  await a.s.regrade();
  t.is((await ledger.auditLog({ action: 'customer-grade' })).length, 2);

  // A restart: a new service on the same file continues from the stored cursor and state.
  await a.s.stop();
  await post(ledger, 'p2', 'topup', 50_000, T0 + 7 * DAY_MS + 60_000);
  const b = service(t, store, ledger, clock);
  await b.s.load();
  clock.set(T0 + 7 * DAY_MS + 120_000);
  const after = await b.s.check();
  t.deepEqual(after.map((r) => `${r.meter} ${r.kind}`), ['p2 topup-receipt'], 'only the new top-up; nothing re-sent');
  const receipt = (await store.notifications()).find((n) => n.kind === 'topup-receipt')!;
  t.is(receipt.payload.text, 'p2 充值 500.00 CNY，余额 450.00');
  t.is(receipt.payload.language, 'zh-CN');
  t.regex(receipt.id, /^gw-r\/p2\/topup:\d+$/);
  t.is((await store.notifications()).length, 3);
  // p2 topped up after running out (its first credit, before any charge, counts as neither).
  const again = await b.s.regrade();
  const p2b = again.find((r) => r.meter === 'p2')!;
  t.is(p2b.factors.find((f) => f.factor === 'topUpAfterEmpty')!.total, 1);
  t.is(p2b.factors.find((f) => f.factor === 'topUpBeforeEmpty')!.total, 0);
});

test('a disconnection notice from the policy event, keyed by the trip time: queued once', async (t) => {
  const { db, ledger } = await setup(t);
  const clock = new ManualClock({ now: T0 });
  const store = await RatingStore.open(db);
  t.teardown(() => store.close());
  const { s } = service(t, store, ledger, clock);
  await s.load();
  const e = { ts: T0, type: 'disconnect-scheduled', meter: 'p1', data: { at: T0 + 3_600_000, reason: 'credit-exhausted', balance: -20 } };
  s.onEvent(e);
  s.onEvent(e);
  await s.check();
  const n = await store.notifications('p1');
  t.is(n.length, 1);
  t.is(n[0]!.id, `gw-r/p1/disconnect:${T0 + 3_600_000}`);
  t.is(n[0]!.payload.text, 'p1 off at 2026-03-01 09:00');
});

test('on schedule (injected clock): checks every checkEveryMs, rates daily; a crash between writes re-folds without counting a row twice', async (t) => {
  const { db, ledger } = await setup(t);
  const now0 = T0 + 30 * DAY_MS;
  const clock = new ManualClock({ now: now0 });
  await post(ledger, 'p1', 'consumption', -100, now0 - 3 * DAY_MS);
  await post(ledger, 'p1', 'topup', 5_000, now0 - 2 * DAY_MS);
  await post(ledger, 'p2', 'consumption', -100, now0 - 3 * DAY_MS);
  const store = await RatingStore.open(db);
  t.teardown(() => store.close());
  const a = service(t, store, ledger, clock);
  await a.s.start();
  t.is((await store.latest()).length, 2, 'rated at start: none stored yet');
  const firstTs = (await store.latest())[0]!.ts;
  // A fresh top-up: its receipt at the next check, with p1's facts (not yet the cursor: that is hourly).
  await post(ledger, 'p1', 'topup', 1_000, clock.now());
  await clock.advanceAsync(rules.reminders.checkEveryMs);
  await a.s.check(); // the timer's run is queued; this one waits behind it
  t.is((await store.notifications('p1')).filter((n) => n.kind === 'topup-receipt').length, 1);
  await clock.advanceAsync(DAY_MS);
  await a.s.check();
  t.true((await store.latest())[0]!.ts > firstTs, 'the daily pass ran on the clock');
  // p2 is charged, then the process dies before any write (no stop): the next one starts from the stored cursor.
  await post(ledger, 'p2', 'consumption', -300, clock.now());
  await post(ledger, 'p1', 'topup', 700, clock.now());
  await a.s.check(); // p1's receipt: p1's facts written (ahead of the cursor), p2's not
  const crashed = a.s;
  crashed['stops'].forEach((s: () => void) => s());
  const b = service(t, store, ledger, clock);
  await b.s.load();
  const after = await b.s.regrade();
  // The same history from scratch, nothing written.
  const fresh = new RatingService({ store, rules, templates: TEMPLATES, gatewayId: 'gw-r', zone: 'UTC', clock, log: createLogger({ level: 'silent' }), accounts: () => ACCOUNTS, subunitsPerUnit: () => 100, event: () => undefined, audit: async () => undefined, dryRun: true });
  const truth = await fresh.regrade();
  t.deepEqual(after.map((r) => [r.meter, r.score, r.factors]), truth.map((r) => [r.meter, r.score, r.factors]));
  const p1 = after.find((r) => r.meter === 'p1')!.factors;
  t.deepEqual([p1.find((f) => f.factor === 'topUpAfterEmpty')!.total, p1.find((f) => f.factor === 'topUpBeforeEmpty')!.total], [1, 2], 'each top-up counted once');
  t.is((await store.notifications('p1')).filter((n) => n.kind === 'topup-receipt').length, 2, 'no receipt twice');
});
