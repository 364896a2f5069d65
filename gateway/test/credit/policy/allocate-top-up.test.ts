import test from 'ava';
import { PrepaidError } from '@prepaid-edge/protocols';
import { allocateTopUp, daysOfCreditLeft, initialAccountState } from '../../../src/core/policy/index.js';

const withEmergency = (outstanding: number) => ({ ...initialAccountState(), emergency: { offered: true, inUse: outstanding > 0, outstanding } });
const cause = { command: 'c-1' };

// [name, balance, outstanding, top-up, entries (kind, amount), balance after, outstanding after]
const table: Array<[string, number, number, number, Array<[string, number]>, number, number]> = [
  ['no emergency credit', 500, 0, 10000, [['topup', 10000]], 10500, 0],
  ['emergency credit repaid in full first', 3000, 10000, 50000, [['topup', 50000], ['emergency-credit-repaid', -10000]], 43000, 0],
  ['friendly-period debt is already in the balance', -7000, 10000, 50000, [['topup', 50000], ['emergency-credit-repaid', -10000]], 33000, 0],
  ['a small top-up repays only what it covers', 3000, 10000, 4000, [['topup', 4000], ['emergency-credit-repaid', -4000]], 3000, 6000],
  ['exactly the outstanding amount', -200, 10000, 10000, [['topup', 10000], ['emergency-credit-repaid', -10000]], -200, 0],
];

for (const [name, balance, outstanding, amount, entries, after, left] of table) {
  test(`allocateTopUp: ${name}`, (t) => {
    const a = allocateTopUp(withEmergency(outstanding), balance, amount, 1000, cause);
    t.deepEqual(a.entries.map((e) => [e.kind, e.amount]), entries);
    t.is(a.balance, balance + a.entries.reduce((s, e) => s + e.amount, 0));
    t.is(a.balance, after);
    t.true(a.balance >= balance, 'a top-up never lowers the balance');
    t.is(a.state.emergency.outstanding, left);
    t.is(a.state.emergency.inUse, left > 0);
    for (const e of a.entries) t.is(e.ts, 1000);
    t.deepEqual(a.entries[0]!.cause, cause);
  });
}

test('allocateTopUp refuses a non-positive or fractional amount', (t) => {
  for (const bad of [0, -5, 1.5, Number.NaN]) {
    const e = t.throws(() => allocateTopUp(initialAccountState(), 0, bad, 0, cause), { instanceOf: PrepaidError });
    t.is(e.code, 'E_COMMAND_AMOUNT');
  }
});

// [balance, daily usage, days left]
const days: Array<[number, number[], number | null]> = [
  [70000, [10000, 10000, 10000, 10000, 10000, 10000, 10000], 7],
  [69999, [10000, 10000, 10000, 10000, 10000, 10000, 10000], 6],
  [30000, [0, 0, 0, 0, 0, 0, 14000], 15],
  [30000, [99999, 5000, 5000, 5000, 5000, 5000, 5000, 5000], 6], // only the last 7 days count
  [30000, [10000, 20000], 2],
  [30000, [], null],
  [30000, [0, 0, 0], null],
  [0, [1000], 0],
  [-500, [1000], 0],
];
for (const [balance, usage, expected] of days) {
  test(`daysOfCreditLeft(${balance}, [${usage.join(',')}]) = ${expected}`, (t) => {
    t.is(daysOfCreditLeft(balance, usage), expected);
  });
}
