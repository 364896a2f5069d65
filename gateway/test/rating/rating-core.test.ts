/** The pure rating: facts folded from entries and audit rows, the score and its factors, grading, reminders, templates, the rules file. */
import test from 'ava';
import {
  balanceReminders,
  dailyCharges,
  DAY_MS,
  explain,
  foldAll,
  formatAmount,
  gradeOf,
  initialReminderState,
  monthlyUse,
  newFacts,
  parseRating,
  rate,
  render,
  type RatingAudit,
  type RatingEntry,
  type RatingRules,
} from '../../src/core/rating/index.js';

const T0 = Date.UTC(2026, 0, 1);
const RAW = {
  score: { base: 600, halfLifeDays: 100000, weights: { topUpBeforeEmpty: 5, topUpAfterEmpty: -15, daysInDebt: -4, emergencyCreditTaken: -10, emergencyCreditRepaid: 6, disconnections: -40, tamper: -150 }, caps: { topUpBeforeEmpty: 20 } },
  classes: [
    { name: 'A', band: 'gentle', minScore: 700 },
    { name: 'B', band: 'standard', minScore: 450, contracts: ['residential'] },
    { name: 'C', band: 'strict' },
  ],
  bands: { gentle: { policy: 'res', reminderLeadDays: 5 }, standard: { policy: 'res' }, strict: { policy: 'strict', reminderLeadDays: 2, arrearsEveryDays: 1 } },
};
const rules: RatingRules = parseRating(RAW);

/** A ledger in the making: each entry's balanceAfter is the running sum. */
function ledger(meter: string) {
  let id = 0;
  let balance = 0;
  const entries: RatingEntry[] = [];
  return {
    entries,
    add(kind: RatingEntry['kind'], amount: number, ts: number) {
      balance += amount;
      entries.push({ id: ++id, meter, kind, amount, ts, balanceAfter: balance });
    },
  };
}

test('the rules file: defaults filled, unknown keys and a conditional last class refused with the path', (t) => {
  t.is(rules.score.min, 0);
  t.is(rules.score.max, 1000);
  t.is(rules.bands.standard!.reminderLeadDays, 3);
  t.is(rules.regradeEveryMs, 86_400_000);
  t.is(rules.reminders.language, 'en');
  const bad = t.throws(() => parseRating({ ...RAW, classes: [{ name: 'A', band: 'gentle', minScore: 1 }] }));
  t.is((bad as { code?: string }).code, 'E_CONFIG_INVALID');
  t.is((bad as unknown as { context: { path: string } }).context.path, 'classes[0]');
  const unknown = t.throws(() => parseRating({ ...RAW, score: { ...RAW.score, weight: {} } }));
  t.is((unknown as unknown as { context: { path: string } }).context.path, 'score.weight');
  const band = t.throws(() => parseRating({ ...RAW, classes: [{ name: 'A', band: 'nope' }] }));
  t.regex(band!.message, /classes\[0\]\.band: no band "nope"/);
});

test('a known history: each factor counted, the points add up to the score, explained', (t) => {
  const l = ledger('m1');
  l.add('topup', 10_000, T0); // the first credit, nothing charged yet: not counted
  l.add('consumption', -4_000, T0 + DAY_MS);
  l.add('topup', 5_000, T0 + 2 * DAY_MS); // before empty (6000 > 0)
  l.add('consumption', -12_000, T0 + 3 * DAY_MS); // -1000: in debt
  l.add('emergency-credit-taken', 3_000, T0 + 5 * DAY_MS); // 2 days in debt; +2000
  l.add('consumption', -2_000, T0 + 6 * DAY_MS); // 0
  l.add('topup', 20_000, T0 + 6 * DAY_MS + 1); // balance 0 before: after empty
  l.add('emergency-credit-repaid', -3_000, T0 + 6 * DAY_MS + 1); // repaid in full
  const audit: RatingAudit[] = [
    { id: 1, meter: 'm1', ts: T0 + 4 * DAY_MS, action: 'relay-disconnected', detail: { result: 'verified' } },
    { id: 2, meter: 'm1', ts: T0 + 4 * DAY_MS, action: 'relay-disconnected', detail: { result: 'failed' } }, // not a disconnection
    { id: 3, meter: 'm1', ts: T0 + 5 * DAY_MS, action: 'tamper-latched', detail: { kinds: ['cover-open'] } },
  ];
  const f = newFacts(T0);
  foldAll(f, l.entries, audit, rules.score.halfLifeDays * DAY_MS);
  t.is(f.balance, 17_000);
  t.deepEqual(f.total, { topUpBeforeEmpty: 1, topUpAfterEmpty: 1, daysInDebt: 2, emergencyCreditTaken: 1, emergencyCreditRepaid: 1, disconnections: 1, tamper: 1 });
  const r = rate('m1', 'residential', f, rules, T0 + 7 * DAY_MS);
  const points = Object.fromEntries(r.factors.map((x) => [x.factor, x.points]));
  // Half-life 100000 days: fading is below rounding over a week.
  t.deepEqual(points, { topUpBeforeEmpty: 5, topUpAfterEmpty: -15, daysInDebt: -8, emergencyCreditTaken: -10, emergencyCreditRepaid: 6, disconnections: -40, tamper: -150 });
  t.is(r.score, 600 + 5 - 15 - 8 - 10 + 6 - 40 - 150);
  t.is(r.grade, 'C');
  t.is(r.band, 'strict');
  t.is(r.monthlyUse, 18_000);
  t.true(explain(r).some((line) => line.startsWith('tamper 1 x -150 = -150')));
});

test('history fades with the half-life, caps bound a factor, and a good payer is graded A', (t) => {
  const fading = parseRating({ ...RAW, score: { ...RAW.score, halfLifeDays: 30 } });
  const l = ledger('m2');
  l.add('adjustment', 100_000, T0);
  l.add('consumption', -10, T0);
  for (let d = 0; d < 10; d++) l.add('topup', 1_000, T0 + d * DAY_MS + 1);
  const f = newFacts(T0);
  foldAll(f, l.entries, [{ id: 1, meter: 'm2', ts: T0, action: 'tamper-latched', detail: {} }], 30 * DAY_MS);
  const soon = rate('m2', 'commercial', f, fading, T0 + 10 * DAY_MS);
  t.is(soon.factors.find((x) => x.factor === 'topUpBeforeEmpty')!.points, 20, 'capped at 20');
  const tamperSoon = soon.factors.find((x) => x.factor === 'tamper')!;
  const later = rate('m2', 'commercial', f, fading, T0 + 70 * DAY_MS);
  const tamperLater = later.factors.find((x) => x.factor === 'tamper')!;
  t.is(tamperLater.total, 1);
  t.true(Math.abs(tamperLater.points) < Math.abs(tamperSoon.points) / 3, `${tamperLater.points} vs ${tamperSoon.points}`);
  t.true(later.score > soon.score);
  t.is(gradeOf(rules, { score: 800, monthlyUse: 0, contract: 'x' }).rule.name, 'A');
  t.is(gradeOf(rules, { score: 500, monthlyUse: 0, contract: 'residential' }).rule.name, 'B');
  t.is(gradeOf(rules, { score: 500, monthlyUse: 0, contract: 'commercial' }).rule.name, 'C', 'B admits residential contracts only');
});

test('days-left from the account\'s own forecast: once per low spell, re-armed by a top-up; arrears every N days', (t) => {
  const band = rules.bands.standard!; // lead 3 days, arrears every 3
  const l = ledger('m3');
  l.add('topup', 10_000, T0);
  for (let d = 0; d < 7; d++) l.add('consumption', -1_000, T0 + d * DAY_MS + 3_600_000);
  const f = newFacts(T0);
  foldAll(f, l.entries, [], 1e12);
  const now = T0 + 7 * DAY_MS + 1;
  t.deepEqual(dailyCharges(f, now, 7), [1000, 1000, 1000, 1000, 1000, 1000, 1000]);
  t.is(monthlyUse(f, now), 7000);
  let s = initialReminderState();
  let r = balanceReminders({ meter: 'm3', balance: 3_000, daily: dailyCharges(f, now, 7), band, now }, s);
  t.deepEqual(r.reminders.map((x) => [x.kind, x.key, x.data.daysLeft]), [['days-left', `days-left:${Math.floor(now / DAY_MS)}`, 3]]);
  s = r.state;
  r = balanceReminders({ meter: 'm3', balance: 2_000, daily: [1000], band, now: now + 3_600_000 }, s);
  t.is(r.reminders.length, 0, 'once per spell');
  r = balanceReminders({ meter: 'm3', balance: 20_000, daily: [1000], band, now: now + DAY_MS }, r.state);
  t.false(r.state.daysLeftSent, 'a top-up re-arms it');
  r = balanceReminders({ meter: 'm3', balance: 3_000, daily: [1000], band, now: now + 2 * DAY_MS }, r.state);
  t.is(r.reminders[0]?.kind, 'days-left');
  let st = initialReminderState();
  const sent: number[] = [];
  for (let d = 0; d < 7; d++) {
    const x = balanceReminders({ meter: 'm3', balance: -500, daily: [1000], band, now: now + (10 + d) * DAY_MS }, st);
    st = x.state;
    if (x.reminders.some((y) => y.kind === 'arrears')) sent.push(d);
  }
  t.deepEqual(sent, [0, 3, 6]);
});

test('templates: money in units without floats, placeholders filled, zh-CN and en', (t) => {
  t.is(formatAmount(12_840, 1000), '12.840');
  t.is(formatAmount(-5, 100), '-0.05');
  t.is(formatAmount(7, 1), '7');
  const tpl = { 'days-left': '{meter}: {balance} {unit}, {daysLeft} d', arrears: '欠费 {debt} {unit}', 'disconnect-notice': 'at {at}', 'topup-receipt': '{amount}' };
  const r = { kind: 'days-left' as const, meter: 'p1', key: 'k', ts: T0, data: { balance: 12_840, daysLeft: 3 } };
  t.is(render(tpl, r, { subunitsPerUnit: 1000, unit: 'CNY', zone: 'UTC' }), 'p1: 12.840 CNY, 3 d');
  t.is(render(tpl, { ...r, kind: 'arrears', data: { debt: 1500 } }, { subunitsPerUnit: 100, unit: 'CNY', zone: 'UTC' }), '欠费 15.00 CNY');
  t.is(render(tpl, { ...r, kind: 'disconnect-notice', data: { at: Date.UTC(2026, 0, 1, 8, 30) } }, { subunitsPerUnit: 100, unit: 'CNY', zone: 'Asia/Shanghai' }), 'at 2026-01-01 16:30');
});
