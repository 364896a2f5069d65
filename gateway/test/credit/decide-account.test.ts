/** The pure decision of corrections and lifecycle inputs (core/credit/decide-account.ts): what is posted and what the relay is told. */
import test from 'ava';
import { decide } from '../../src/core/credit/decide.js';
import type { AccountCommandRef } from '../../src/core/credit/decision.js';
import { account, memory, MIN, policy, settings, T0, withPending } from './decide-fixtures.js';

const ref = (type: AccountCommandRef['type']): AccountCommandRef => ({ id: `c-${type}`, type, source: 'command:k', detail: { keyId: 'k' } });
const LIMITS = { maxAmount: 5_000, maxPerDay: 8_000, cosignAbove: 1_000, maxNegative: 200 };
const limited = settings({ policy: { ...policy, corrections: LIMITS } });
const statement = { sinceEntry: 1, openingBalance: 0, totals: {} };

test('close: pending charges and the closing entry only, balance 0, supply off, no timer — even where the rules would take emergency credit', (t) => {
  const auto = settings({ policy: { ...policy, emergencyCredit: { amount: 500, requiresButton: false } } });
  const m = withPending(memory({ account: account({ balance: 1000 }) }));
  const d = decide(m, { kind: 'close', command: ref('account-close'), finalReading: { wh: 10_400, ts: T0 + 10 * MIN, source: 'meter' }, statement }, auto, T0 + 10 * MIN);
  const entries = d.posting!.entries;
  t.deepEqual(entries.map((e) => [e.kind, e.amount]), [['consumption', -120], ['adjustment', -880]]);
  t.is(entries.reduce((s, e) => s + e.amount, 0), -1000, 'the book of the meter ends at 0');
  t.is(d.posting!.state!.supply, 'disconnected');
  t.deepEqual(d.relay, [{ kind: 'set', target: 'disconnected', cause: 'account closed' }]);
  t.is(d.wakeAt, null);
  t.is(d.meterView?.spendable, 0, 'a meter that keeps credit is told there is none');
  const o = d.answer.kind === 'outcome' ? d.answer.fallback : undefined;
  t.like(o, { status: 'applied', detail: { remainingCredit: 880 } });
});

test('close with debt: the debt is reported (negative) and taken to zero', (t) => {
  const d = decide(memory({ account: account({ balance: -300 }) }), { kind: 'close', command: ref('account-close'), finalReading: { wh: null, ts: null, source: 'x' }, statement }, settings(), T0);
  t.deepEqual(d.posting!.entries.map((e) => e.amount), [300]);
});

test('correction: refused without posting when over a limit; a debit within maxNegative trips at once', (t) => {
  const over = decide(memory(), { kind: 'correction', command: ref('adjustment'), delta: 1_001, cosigned: false, usedToday: 0 }, limited, T0);
  t.is(over.posting, undefined);
  t.like(over.answer.kind === 'outcome' ? over.answer.fallback : {}, { status: 'rejected', reason: 'E_COMMAND_COSIGN' });
  const debit = decide(memory(), { kind: 'correction', command: ref('refund'), delta: -1_000, cosigned: false, usedToday: 0 }, limited, T0);
  t.deepEqual(debit.posting!.entries.map((e) => [e.kind, e.amount, e.cause.correction]), [['adjustment', -1_000, 'refund']]);
  t.is(debit.posting!.state!.supply, 'disconnected', 'balance 0: the rules trip at once, as a top-up would close');
  const deeper = decide(memory(), { kind: 'correction', command: ref('adjustment'), delta: -1_201, cosigned: true, usedToday: 0 }, limited, T0);
  t.like(deeper.answer.kind === 'outcome' ? deeper.answer.fallback : {}, { status: 'rejected', reason: 'E_COMMAND_LIMIT' });
});

test('open: one opening entry (0 too), a fresh state, no cursor (the next reading is the baseline), the relay put where the rules say', (t) => {
  const closed = memory({ account: account({ balance: 0, state: { ...account().state, supply: 'disconnected' } }) });
  const d = decide(closed, { kind: 'open', command: ref('account-open'), openingBalance: 0, cosigned: false }, limited, T0);
  t.deepEqual(d.posting!.entries.map((e) => [e.kind, e.amount]), [['adjustment', 0]]);
  t.is(d.posting!.cursor, null);
  t.true(d.then.some((i) => i.kind === 'restore' && i.drive === true));
});

test('swap: the old meter priced to its final register, the cursor continues at the new start with the remainder', (t) => {
  const m = memory();
  const d = decide(m, { kind: 'swap', command: ref('meter-swap'), oldFinalReading: 10_100, newStartReading: 7, newSerial: 'SN' }, settings(), T0 + 5 * MIN);
  t.deepEqual(d.posting!.entries.map((e) => [e.kind, e.amount]), [['consumption', -30]], '100 Wh at 0.3');
  t.like(d.posting!.cursor, { lastWh: 7, lastTs: T0 + 5 * MIN });
  const below = decide(m, { kind: 'swap', command: ref('meter-swap'), oldFinalReading: 9_999, newStartReading: 7, newSerial: 'SN' }, settings(), T0 + 5 * MIN);
  t.like(below.answer.kind === 'outcome' ? below.answer.fallback : {}, { status: 'rejected', reason: 'E_COMMAND_AMOUNT' });
});
