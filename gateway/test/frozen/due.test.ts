/** The frozen-reading rule: which periods are due, DST-correct (23 h and 25 h days), billing day, never twice. */
import test from 'ava';
import { dueFrozen, frozenReading, LATE_AFTER_MS, nextDueAt } from '../../src/core/frozen/index.js';

const BERLIN = 'Europe/Berlin';
const H = 3_600_000;
const utc = (iso: string): number => Date.parse(iso);

test('daily: the spring-forward day is 23 h, the boundaries are local midnights', (t) => {
  const due = dueFrozen({ zone: BERLIN, billingDay: 1, last: { daily: '2026-03-28', monthly: '2026-03' }, since: 0, now: utc('2026-03-30T06:00:00Z') });
  t.deepEqual(due, [
    { kind: 'daily', period: '2026-03-29', at: utc('2026-03-28T23:00:00Z') }, // 00:00 CET
    { kind: 'daily', period: '2026-03-30', at: utc('2026-03-29T22:00:00Z') }, // 00:00 CEST
  ]);
  t.is(due[1]!.at - due[0]!.at, 23 * H);
});

test('daily: the fall-back day is 25 h', (t) => {
  const due = dueFrozen({ zone: BERLIN, billingDay: 1, last: { daily: '2026-10-24', monthly: '2026-10' }, since: 0, now: utc('2026-10-26T00:00:00Z') });
  t.deepEqual(due.map((p) => p.period), ['2026-10-25', '2026-10-26']);
  t.is(due[0]!.at, utc('2026-10-24T22:00:00Z'));
  t.is(due[1]!.at, utc('2026-10-25T23:00:00Z'));
  t.is(due[1]!.at - due[0]!.at, 25 * H);
});

test('nothing is due one ms before local midnight; the midnight itself is due', (t) => {
  const midnight = utc('2026-07-01T22:00:00Z'); // 2026-07-02 00:00 CEST
  const last = { daily: '2026-07-01', monthly: '2026-07' };
  t.deepEqual(dueFrozen({ zone: BERLIN, billingDay: 1, last, since: 0, now: midnight - 1 }), []);
  t.deepEqual(dueFrozen({ zone: BERLIN, billingDay: 1, last, since: 0, now: midnight }), [{ kind: 'daily', period: '2026-07-02', at: midnight }]);
});

test('monthly on the billing day (15th), at local midnight in winter and summer time', (t) => {
  const due = dueFrozen({ zone: BERLIN, billingDay: 15, last: { daily: '2026-06-20' }, since: utc('2026-03-01T10:00:00Z'), now: utc('2026-06-20T10:00:00Z') });
  t.deepEqual(due, [
    { kind: 'monthly', period: '2026-03', at: utc('2026-03-14T23:00:00Z') },
    { kind: 'monthly', period: '2026-04', at: utc('2026-04-14T22:00:00Z') },
    { kind: 'monthly', period: '2026-05', at: utc('2026-05-14T22:00:00Z') },
    { kind: 'monthly', period: '2026-06', at: utc('2026-06-14T22:00:00Z') },
  ]);
  // Billing day 1 and a year boundary: January's period starts at 00:00 on 1 January.
  const jan = dueFrozen({ zone: BERLIN, billingDay: 1, last: { daily: '2027-01-01', monthly: '2026-12' }, since: 0, now: utc('2027-01-01T12:00:00Z') });
  t.deepEqual(jan, [{ kind: 'monthly', period: '2027-01', at: utc('2026-12-31T23:00:00Z') }]);
});

test('never frozen: only boundaries after the first reading are due; a meter first seen at 14:00 waits for midnight', (t) => {
  const since = utc('2026-05-05T12:00:00Z');
  t.deepEqual(dueFrozen({ zone: BERLIN, billingDay: 5, last: {}, since, now: since + H }), [], 'the 5th started before the first reading');
  t.deepEqual(dueFrozen({ zone: BERLIN, billingDay: 5, last: {}, since, now: utc('2026-05-05T22:00:00Z') }).map((p) => p.period), ['2026-05-06']);
});

test('missed days come back once each, oldest first, and a second call with the new last gives nothing', (t) => {
  const now = utc('2026-02-05T08:00:00Z');
  const due = dueFrozen({ zone: 'Asia/Shanghai', billingDay: 3, last: { daily: '2026-01-30', monthly: '2026-01' }, since: 0, now });
  t.deepEqual(due.map((p) => `${p.kind}:${p.period}`), ['daily:2026-01-31', 'daily:2026-02-01', 'daily:2026-02-02', 'daily:2026-02-03', 'daily:2026-02-04', 'daily:2026-02-05', 'monthly:2026-02']);
  t.deepEqual(dueFrozen({ zone: 'Asia/Shanghai', billingDay: 3, last: { daily: '2026-02-05', monthly: '2026-02' }, since: 0, now }), []);
  t.throws(() => dueFrozen({ zone: 'UTC', billingDay: 29, last: {}, since: 0, now }), { instanceOf: RangeError });
});

test('a snapshot keeps the energy registers, and is late when read more than LATE_AFTER_MS after its boundary', (t) => {
  const p = { kind: 'daily' as const, period: '2026-01-02', at: utc('2026-01-01T16:00:00Z') };
  const values = { energyImport: 1234, energyExport: 5, energyImportT1: 1000, energyImportT2: 234, power: 900, voltageL1: 230 };
  const onTime = frozenReading('m1', p, { ts: p.at + 30_000, values }, -250);
  t.deepEqual(onTime, { meter: 'm1', kind: 'daily', period: '2026-01-02', at: p.at, readingTs: p.at + 30_000, late: false, registers: { energyExport: 5, energyImport: 1234, energyImportT1: 1000, energyImportT2: 234 }, balance: -250 });
  t.true(frozenReading('m1', p, { ts: p.at + LATE_AFTER_MS + 1, values }).late);
  t.false('balance' in frozenReading('m1', p, { ts: p.at, values }));
});

test('nextDueAt is the first instant anything is due: nothing 1 ms before it, the first period at it', (t) => {
  const cases = [
    { zone: BERLIN, billingDay: 1, last: { daily: '2026-03-28', monthly: '2026-03' }, since: 0 },
    { zone: BERLIN, billingDay: 15, last: { daily: '2026-10-24' }, since: utc('2026-10-20T10:00:00Z') },
    { zone: 'Asia/Shanghai', billingDay: 3, last: {}, since: utc('2026-02-02T17:00:00Z') },
    { zone: 'America/New_York', billingDay: 8, last: { daily: '2026-03-07', monthly: '2026-02' }, since: 0 },
  ];
  for (const c of cases) {
    const at = nextDueAt(c);
    t.deepEqual(dueFrozen({ ...c, now: at - 1 }), [], JSON.stringify(c));
    const due = dueFrozen({ ...c, now: at });
    t.true(due.length > 0 && due.every((p) => p.at === at), JSON.stringify(c));
  }
  // New York springs forward on 2026-03-08: the billing day's midnight is still 05:00 UTC (EST).
  t.is(nextDueAt(cases[3]!), utc('2026-03-08T05:00:00Z'));
});
