/** Bad inputs are refused before any write, with E_LEDGER_INPUT naming the field. */
import test from 'ava';
import type { Posting } from '../../src/adapters/store/ledger/index.js';
import { STATE, entry, opened, posting, raw, spec, tempDb } from './fixtures.js';

const base = (): Posting => posting('m1', [entry('topup', 100), entry('consumption', -5)]);

const CASES: Array<[string, (p: Posting) => unknown, string]> = [
  ['a fractional amount', (p) => (p.entries[1]!.amount = -5.5), 'entries[1].amount'],
  ['an unsafe amount', (p) => (p.entries[0]!.amount = 2 ** 53), 'entries[0].amount'],
  ['a NaN amount', (p) => (p.entries[0]!.amount = NaN), 'entries[0].amount'],
  ['a string amount', (p) => ((p.entries[0] as unknown as { amount: string }).amount = '100'), 'entries[0].amount'],
  ['a positive consumption', (p) => (p.entries[1]!.amount = 5), 'entries[1].amount'],
  ['a negative top-up', (p) => (p.entries[0]!.amount = -100), 'entries[0].amount'],
  ['an unknown kind', (p) => ((p.entries[0] as unknown as { kind: string }).kind = 'gift'), 'entries[0].kind'],
  ['a negative entry ts', (p) => (p.entries[0]!.ts = -1), 'entries[0].ts'],
  ['a cause that is not an object', (p) => ((p.entries[0] as unknown as { cause: unknown }).cause = 'x'), 'entries[0].cause'],
  ['a cause with a BigInt', (p) => (p.entries[0]!.cause = { n: 1n }), 'entries[0].cause'],
  ['a meter with a slash', (p) => (p.meter = 'a/b'), 'meter'],
  ['a fractional posting ts', (p) => (p.ts = 1.5), 'ts'],
  ['entries not an array', (p) => ((p as unknown as { entries: unknown }).entries = {}), 'entries'],
  ['a bad supply state', (p) => (p.state = { ...STATE, supply: 'off' as never }), 'state.supply'],
  ['a fractional emergency outstanding', (p) => (p.state = { ...STATE, emergency: { offered: true, inUse: true, outstanding: 0.5 } }), 'state.emergency.outstanding'],
  ['a cursor with a fractional remainder', (p) => (p.cursor = { lastWh: 1, lastTs: 1, remainderMilli: 0.1, month: 'x', monthWh: 0, standingDay: 'y' }), 'cursor.remainderMilli'],
  ['an audit without action', (p) => (p.audit = { action: '', cause: 'x' }), 'audit.action'],
  ['a command without id', (p) => (p.command = { id: '', type: 'topup', outcome: () => ({ status: 'applied', id: '', type: 'topup' }) }), 'command.id'],
  ['a command outcome that is not a function', (p) => (p.command = { id: 'c', type: 'topup', outcome: 5 as never }), 'command.outcome'],
  ['a command outcome returning nothing', (p) => (p.command = { id: 'c', type: 'topup', outcome: () => undefined as never }), 'command.outcome'],
  ['an unknown token scheme', (p) => (p.tokenMemory = { scheme: 'sms' as never, memory: [] }), 'tokenMemory.scheme'],
  ['token memory that is undefined', (p) => (p.tokenMemory = { scheme: 'sts', memory: undefined }), 'tokenMemory.memory'],
];

for (const [name, mutate, path] of CASES) {
  test(`post refuses ${name}, naming ${path}, and writes nothing`, async (t) => {
    const file = tempDb(t);
    const l = await opened(t, file);
    await l.ensureAccount(spec('m1'), STATE);
    const p = base();
    mutate(p);
    const e = await t.throwsAsync(l.post(p));
    t.like(e, { code: 'E_LEDGER_INPUT', context: { path } });
    t.true(e!.message.startsWith(`${path}: `), e!.message);
    t.deepEqual(await raw(file, 'SELECT (SELECT count(*) FROM ledger_entries) e, (SELECT count(*) FROM ledger_commands) c, (SELECT balance FROM ledger_accounts) b'), [{ e: 0, c: 0, b: 0 }]);
  });
}

test('a posting that would leave the safe integer range is refused, naming the entry', async (t) => {
  const l = await opened(t, tempDb(t));
  await l.ensureAccount(spec('m1'), STATE);
  await l.post(posting('m1', [entry('topup', Number.MAX_SAFE_INTEGER - 10)]));
  const e = await t.throwsAsync(l.post(posting('m1', [entry('topup', 5), entry('topup', 6)])));
  t.like(e, { code: 'E_LEDGER_INPUT', context: { path: 'entries[1].amount', meter: 'm1' } });
  t.is((await l.account('m1'))!.balance, Number.MAX_SAFE_INTEGER - 10);
});

test('ensureAccount refuses a bad spec or initial state, naming the field', async (t) => {
  const l = await opened(t, tempDb(t));
  await t.throwsAsync(l.ensureAccount(spec('m1', { creditUnit: 'kwh' as never }), STATE), { code: 'E_LEDGER_INPUT', message: /^spec\.creditUnit: / });
  await t.throwsAsync(l.ensureAccount(spec('m1', { currency: 'yuan' }), STATE), { code: 'E_LEDGER_INPUT', message: /^spec\.currency: / });
  await t.throwsAsync(l.ensureAccount(spec('m1', { customer: '' }), STATE), { code: 'E_LEDGER_INPUT', message: /^spec\.customer: / });
  await t.throwsAsync(l.ensureAccount(spec('m1'), { ...STATE, warned: -2 }), { code: 'E_LEDGER_INPUT', message: /^initialState\.warned: / });
  t.deepEqual(await l.accounts(), []);
});
