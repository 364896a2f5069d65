/**
 * Statements against a real ledger: the credit engine charges simulated firmware meters for days
 * on a ToU + tiered tariff (real SQLite file), a top-up arrives, and the statement's lines, band by
 * band, add up to the ledger to the sub-unit. The pure builder's refusals and its 'other' line.
 */
import test from 'ava';
import { PrepaidError } from '@prepaid-edge/protocols';
import { buildStatement, statementCsv } from '../../src/core/ledger/statement.js';
import { readStatement } from '../../src/adapters/store/ledger/index.js';
import type { StoredEntry } from '../../src/core/credit/contracts.js';
import { allEntries, creditRig } from '../credit/scenario/rig.js';
import { KEYS, topUpCmd } from '../credit/scenario/signer.js';

const DAY = 24 * 3_600_000;
const ZONE = 'Asia/Shanghai';

test('4 days of ToU + tiered charging and a top-up: every statement adds up to the ledger, band by band, and consecutive ones chain', async (t) => {
  t.timeout(240_000);
  const policy = { id: 'p', lowCreditThresholds: [300_000, 100_000], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 } };
  const rig = await creditRig(t, {
    meters: 1,
    loads: [6000],
    tickMs: 60_000,
    // 2024-10-13 00:00 Shanghai: crosses the billing day (15th) and a tier boundary.
    start: Date.UTC(2024, 9, 12, 16),
    timezone: ZONE,
    pollMs: 15 * 60_000,
    credit: { tariffs: { tt: { file: 'tariffs/tou-tiered.json' } }, policies: { p: policy }, classes: { r: { tariff: 'tt', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance: 10_000_000 }], keys: KEYS },
  });
  await rig.run(2 * DAY);
  t.like(await rig.command(topUpCmd(rig, 'p1', 123_456, { currency: 'CNY' })), { status: 'applied' });
  await rig.run(2 * DAY);

  const ledger = rig.credit.ledger;
  const entries = await allEntries(ledger, 'p1');
  const whole = await readStatement(ledger, { meter: 'p1', from: '2024-10-13', to: '2024-10-17', zone: ZONE });
  const account = (await ledger.account('p1'))!;
  // The window holds every entry (the run ends at 00:00 on the 17th): it opens at 0 and closes on the stored balance.
  t.is(whole.entries, entries.length);
  t.is(whole.opening, 0);
  t.is(whole.closing, account.balance);
  t.is(whole.opening + whole.lines.reduce((s, l) => s + l.amount, 0), whole.closing);
  // Each line is its kind's entries, to the sub-unit.
  const sumOf = (kind: string) => entries.filter((e) => e.kind === kind).reduce((s, e) => s + e.amount, 0);
  const lineSum = (kind: string) => whole.lines.filter((l) => l.kind === kind).reduce((s, l) => s + l.amount, 0);
  for (const kind of ['consumption', 'standing-charge', 'topup', 'adjustment']) t.is(lineSum(kind), sumOf(kind), kind);
  t.like(whole.lines.find((l) => l.kind === 'topup'), { count: 1, amount: 123_456 });
  t.like(whole.lines.find((l) => l.kind === 'adjustment'), { count: 1, amount: 10_000_000 }, 'the opening balance is booked as an adjustment');
  t.like(whole.lines.find((l) => l.kind === 'standing-charge'), { count: 4, amount: -4000 });
  // Consumption by band: peak and valley, and the tiers the month reached; no unbanded rest.
  const bands = whole.lines.filter((l) => l.kind === 'consumption');
  t.deepEqual([...new Set(bands.map((l) => l.band))].sort(), ['peak', 'valley']);
  t.true(bands.some((l) => (l.tier ?? 0) > 0), 'a higher tier was reached');
  t.true(bands.every((l) => l.amount < 0 && l.wh! > 0));
  const bookedWh = entries.filter((x) => x.kind === 'consumption').reduce((s, x) => s + (x.cause.toWh as number) - (x.cause.fromWh as number), 0);
  t.is(bands.reduce((s, l) => s + l.wh!, 0), bookedWh, 'the bands hold every Wh the consumption entries booked');
  t.true(bookedWh > 3.9 * 24 * 6000, 'about 6 kW for 4 days');

  // Day by day: each day's statement starts where the last one closed; their lines add up to the whole.
  const days = ['2024-10-13', '2024-10-14', '2024-10-15', '2024-10-16', '2024-10-17'];
  let opening = 0;
  let sum = 0;
  for (const d of days) {
    const s = await readStatement(ledger, { meter: 'p1', from: d, to: d, zone: ZONE });
    t.is(s.opening, opening, `${d} opens on the previous close`);
    t.is(s.opening + s.lines.reduce((a, l) => a + l.amount, 0), s.closing);
    t.is(s.fromIso, new Date(Date.parse(`${d}T00:00:00+08:00`)).toISOString());
    opening = s.closing;
    sum += s.lines.reduce((a, l) => a + l.amount, 0);
  }
  t.is(opening, account.balance);
  t.is(sum, whole.closing - whole.opening);

  const csv = statementCsv(whole, { from: whole.from, to: whole.to, timezone: ZONE, creditUnit: 'currency', currency: 'CNY' }).trim().split('\n');
  t.is(csv[0], 'meter,from,to,timezone,unit,line,band,tier,count,wh,amount');
  t.is(csv[1], `p1,2024-10-13,2024-10-17,${ZONE},CNY,opening,,,,,0`);
  t.is(csv.at(-1), `p1,2024-10-13,2024-10-17,${ZONE},CNY,closing,,,,,${account.balance}`);
  t.is(csv.length, whole.lines.length + 3);
});

const e = (id: number, kind: string, amount: number, ts: number, balanceAfter: number, cause: Record<string, unknown> = {}): StoredEntry => ({ id, meter: 'm', kind: kind as StoredEntry['kind'], amount, ts, cause, balanceAfter });

test('a kind the statement does not know lands in an "other" line, never dropped; banded lines only when the split adds up', (t) => {
  const entries = [
    e(1, 'topup', 1000, 10, 1000),
    e(2, 'consumption', -300, 20, 700, { lines: [['peak', 0, 100, 200], ['valley', 0, 200, 100]] }),
    e(3, 'consumption', -50, 30, 650, { fromWh: 300, toWh: 350, lines: [['peak', 0, 50, 49]] }), // does not add up: unbanded
    e(4, 'refund', -150, 40, 500),
    e(5, 'account-close', -500, 50, 0),
  ];
  const s = buildStatement({ meter: 'm', entries, fromTs: 15, toTs: 100 });
  t.is(s.opening, 1000);
  t.is(s.closing, 0);
  t.deepEqual(s.lines, [
    { kind: 'consumption', band: 'peak', tier: 0, count: 1, wh: 100, amount: -200 },
    { kind: 'consumption', band: 'unbanded', tier: 0, count: 1, wh: 50, amount: -50 },
    { kind: 'consumption', band: 'valley', tier: 0, count: 1, wh: 200, amount: -100 },
    { kind: 'other', count: 2, amount: -650, kinds: ['refund', 'account-close'] },
  ]);
  t.is(s.credits, 0);
  t.is(s.debits, -1000);
});

test('a ledger whose running balances do not replay is refused (E_LEDGER_MISMATCH), as is an empty window', (t) => {
  const bad = [e(1, 'topup', 1000, 10, 1000), e(2, 'consumption', -300, 20, 600)];
  const err = t.throws(() => buildStatement({ meter: 'm', entries: bad, fromTs: 0, toTs: 100 }), { instanceOf: PrepaidError });
  t.is((err as PrepaidError).code, 'E_LEDGER_MISMATCH');
  t.is((t.throws(() => buildStatement({ meter: 'm', entries: [], fromTs: 5, toTs: 5 })) as PrepaidError).code, 'E_LEDGER_INPUT');
});
