import test from 'ava';
import { PrepaidError } from '@prepaid-edge/protocols';
import { parsePolicy } from '../../../src/core/policy/index.js';

const good = () => ({
  id: 'residential',
  lowCreditThresholds: [30000, 10000],
  emergencyCredit: { amount: 10000, requiresButton: true },
  friendly: { windows: [{ days: ['weekday'], from: '16:00', to: '08:00' }], holidays: ['2025-12-25'] },
  disconnectNoticeMs: 3_600_000,
  maxDebt: 20000,
  reconnect: { mode: 'armed', threshold: 5000 },
});

test('a good policy parses and is frozen; the input is not modified', (t) => {
  const raw = good();
  const p = parsePolicy(raw);
  t.deepEqual(p, raw);
  t.true(Object.isFrozen(p.friendly.windows[0]));
  t.false(Object.isFrozen(raw.friendly));
});

test('defaults: no emergency credit, no friendly periods, no notice, no debt limit', (t) => {
  const raw = { id: 'min', lowCreditThresholds: [2, 1], reconnect: { mode: 'auto', threshold: 0 } };
  const p = parsePolicy(raw);
  t.is(p.emergencyCredit, null);
  t.deepEqual(p.friendly, { windows: [], holidays: [] });
  t.is(p.disconnectNoticeMs, 0);
  t.is(p.maxDebt, 0);
  t.false('friendly' in raw);
});

type Edit = (p: ReturnType<typeof good>) => unknown;
const bad: Array<[string, Edit, string, RegExp]> = [
  ['unknown key', (p) => ({ ...p, graceMs: 5 }), 'graceMs', /unknown key/],
  ['unknown nested key', (p) => ({ ...p, reconnect: { ...p.reconnect, delay: 1 } }), 'reconnect.delay', /unknown key/],
  ['one threshold', (p) => ({ ...p, lowCreditThresholds: [100] }), 'lowCreditThresholds', /fewer than 2/],
  ['thresholds ascending', (p) => ({ ...p, lowCreditThresholds: [100, 200] }), 'lowCreditThresholds[1]', /strictly descending/],
  ['thresholds equal', (p) => ({ ...p, lowCreditThresholds: [300, 200, 200] }), 'lowCreditThresholds[2]', /strictly descending/],
  ['threshold not an integer', (p) => ({ ...p, lowCreditThresholds: [300, 2.5] }), 'lowCreditThresholds[1]', /integer/],
  ['bad HH:MM', (p) => ({ ...p, friendly: { ...p.friendly, windows: [{ from: '24:00', to: '08:00' }] } }), 'friendly.windows[0].from', /HH:MM/],
  ['HH:MM without colon', (p) => ({ ...p, friendly: { ...p.friendly, windows: [{ from: '16:00', to: '0800' }] } }), 'friendly.windows[0].to', /HH:MM/],
  ['bad day type', (p) => ({ ...p, friendly: { ...p.friendly, windows: [{ days: ['friday'], from: '16:00', to: '08:00' }] } }), 'friendly.windows[0].days[0]', /one of/],
  ['holiday not a date', (p) => ({ ...p, friendly: { ...p.friendly, holidays: ['2025-02-30'] } }), 'friendly.holidays[0]', /calendar date/],
  ['holiday in another format', (p) => ({ ...p, friendly: { ...p.friendly, holidays: ['25/12/2025'] } }), 'friendly.holidays[0]', /YYYY-MM-DD/],
  ['negative reconnect threshold', (p) => ({ ...p, reconnect: { ...p.reconnect, threshold: -1 } }), 'reconnect.threshold', />= 0/],
  ['fractional reconnect threshold', (p) => ({ ...p, reconnect: { ...p.reconnect, threshold: 0.5 } }), 'reconnect.threshold', /integer/],
  ['bad reconnect mode', (p) => ({ ...p, reconnect: { ...p.reconnect, mode: 'manual' } }), 'reconnect.mode', /"auto", "armed"/],
  ['zero emergency credit', (p) => ({ ...p, emergencyCredit: { amount: 0, requiresButton: true } }), 'emergencyCredit.amount', />= 1/],
  ['missing reconnect', ({ reconnect: _r, ...rest }) => rest, 'reconnect', /required/],
];

for (const [name, edit, path, message] of bad) {
  test(`refused: ${name} (${path})`, (t) => {
    const e = t.throws(() => parsePolicy(edit(good()), 'classes.residential.policy'), { instanceOf: PrepaidError });
    t.is(e.code, 'E_TARIFF_INVALID');
    t.is(e.context.path, `classes.residential.policy.${path}`);
    t.regex(e.message, message);
    t.regex(e.message, new RegExp(`classes\\.residential\\.policy\\.${path.replace(/[[\].]/g, '\\$&')}`));
  });
}

test('without a prefix the path is the field itself; not an object is refused at the root', (t) => {
  const e = t.throws(() => parsePolicy({ ...good(), lowCreditThresholds: [1, 2] }), { instanceOf: PrepaidError });
  t.is(e.context.path, 'lowCreditThresholds[1]');
  const root = t.throws(() => parsePolicy('residential'), { instanceOf: PrepaidError });
  t.is(root.context.path, '(root)');
});
