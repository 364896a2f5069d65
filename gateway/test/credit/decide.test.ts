/**
 * The credit decision step as vectors: memory + one input + settings + now -> the decision, at any
 * instant (now is a parameter). Each row names what the shell would carry out.
 */
import test from 'ava';
import type { CreditDecision, CreditInput, MeterMemory, MeterSettings } from '../../src/core/credit/decision.js';
import { decide } from '../../src/core/credit/decide.js';
import { connected, HOUR, memory, account, MIN, noticePolicy, settings, T0, withPending, cursorAt } from './decide-fixtures.js';

/** What a decision asks the shell to do, in a form a table can state. */
function summary(d: CreditDecision): Record<string, unknown> {
  return {
    observed: d.observed.map((e) => e.type),
    audits: d.audits.map((a) => `${a.action}:${a.cause}`),
    posting: d.posting ? { audit: `${d.posting.audit.action}:${d.posting.audit.cause}`, entries: d.posting.entries.map((e) => `${e.kind} ${e.amount}`), state: d.posting.state?.supply ?? null, command: d.posting.command?.id ?? null } : null,
    balance: d.after?.balance ?? null,
    events: d.events.map((e) => e.type),
    relay: d.relay.map((i) => (i.kind === 'set' ? `set ${i.target}` : i.kind === 'held' ? `held ${i.action}` : `restore ${i.want}`)),
    then: d.then.map((i) => (i.kind === 'set' ? `set ${i.target}` : i.kind === 'held' ? `held ${i.action}` : `restore ${i.want}${i.drive ? ' (drive)' : ''}`)),
    syncFirst: d.syncFirst,
    wakeAt: d.wakeAt === undefined ? 'keep' : d.wakeAt,
    settings: d.settings ? `${d.settings.when}${d.settings.override ? ` override ${d.settings.override.value ? d.settings.override.value.state : 'released'}` : ''}${d.settings.timeCredit ? ' time-credit' : ''}` : null,
    answer: d.answer.kind,
  };
}

const quiet = { observed: [], audits: [], posting: null, balance: null, events: [], relay: [], then: [], syncFirst: false, wakeAt: 'keep', settings: null, answer: 'none' };
const reading = (ts: number, values: Record<string, number>): CreditInput => ({ kind: 'reading', ts, values });
const heldOpen = { state: 'disconnected' as const, until: T0 + 2 * HOUR, by: 'tech' };
const heldClosed = { state: 'connected' as const, until: T0 + 2 * HOUR, by: 'tech' };
const tripped = { ...connected, supply: 'disconnected' as const, warned: 1 };

interface Vector {
  name: string;
  m?: MeterMemory;
  input: CreditInput;
  s?: MeterSettings;
  now: number;
  want: Record<string, unknown>;
}

const vectors: Vector[] = [
  { name: 'first reading: baseline, booked with no charge', m: memory({ account: account({ cursor: null }) }), input: reading(T0, { energyImport: 10_000 }), now: T0, want: { posting: { audit: 'baseline:first reading', entries: [], state: 'connected', command: null }, balance: 1000, wakeAt: null } },
  { name: 'a reading within the cadence that changes nothing: priced, not booked', input: reading(T0 + MIN, { energyImport: 10_100 }), now: T0 + MIN, want: {} },
  { name: 'a reading after the cadence: booked', m: withPending(memory()), input: reading(T0 + HOUR, { energyImport: 10_500 }), now: T0 + HOUR, want: { posting: { audit: 'charge:reading', entries: ['consumption -150'], state: 'connected', command: null }, balance: 850, wakeAt: null } },
  { name: 'a reading that crosses a warning: booked at once', m: memory({ account: account({ balance: 220 }) }), input: reading(T0 + MIN, { energyImport: 10_100 }), now: T0 + MIN, want: { posting: { audit: 'charge:reading', entries: ['consumption -30'], state: 'connected', command: null }, balance: 190, events: ['low-credit'], wakeAt: null } },
  { name: 'the reading that exhausts the credit trips (sync after the trip)', m: memory({ account: account({ balance: 20 }) }), input: reading(T0 + MIN, { energyImport: 10_100 }), now: T0 + MIN, want: { posting: { audit: 'charge:reading', entries: ['consumption -30'], state: 'disconnected', command: null }, balance: -10, events: ['low-credit', 'low-credit', 'disconnect-scheduled'], relay: ['set disconnected'], wakeAt: null } },
  { name: 'a notice instead of a trip: the timer is armed for its end', m: memory({ account: account({ balance: 20 }) }), input: reading(T0 + MIN, { energyImport: 10_100 }), s: settings({ policy: noticePolicy }), now: T0 + MIN, want: { posting: { audit: 'charge:reading', entries: ['consumption -30'], state: 'connected', command: null }, balance: -10, events: ['low-credit', 'low-credit', 'disconnect-scheduled'], wakeAt: T0 + 31 * MIN } },
  { name: 'a counter lower than the cursor: re-baselined, the pending charge booked with it', m: withPending(memory()), input: reading(T0 + 20 * MIN, { energyImport: 50 }), now: T0 + 20 * MIN, want: { observed: ['counter-rebaselined'], posting: { audit: 'baseline:counter reset', entries: ['consumption -120'], state: 'connected', command: null }, balance: 880, wakeAt: null } },
  { name: 'a confirmed reset re-baselines even a higher counter', m: memory({ resetPending: true }), input: reading(T0 + MIN, { energyImport: 20_000 }), now: T0 + MIN, want: { observed: ['counter-rebaselined'], posting: { audit: 'baseline:counter reset', entries: [], state: 'connected', command: null }, balance: 1000, wakeAt: null } },
  { name: 'tamper bits: announced and audited once', m: memory({ tamper: ['magnetic'] }), input: reading(T0 + MIN, { energyImport: 10_000, status: (1 << 2) | (1 << 3) }), now: T0 + MIN, want: { observed: ['tamper'], audits: ['tamper:cover-open'] } },
  { name: 'energy with the relay open and read back open: bypass', m: memory({ account: account({ state: tripped, balance: -10 }), relay: 'disconnected' }), input: reading(T0 + MIN, { energyImport: 10_100, relayState: 0 }), now: T0 + MIN, want: { observed: ['tamper'], audits: ['tamper:bypass'] } },
  { name: 'a reading without energy changes nothing', input: reading(T0 + MIN, { power: 500 }), now: T0 + MIN, want: {} },
  { name: 'a reading not after the cursor changes nothing', input: reading(T0, { energyImport: 10_000 }), now: T0, want: {} },
  { name: 'the meter opened its relay with credit left: booked, synced, then closed again', input: reading(T0 + MIN, { energyImport: 10_100, relayState: 0 }), now: T0 + MIN, want: { observed: ['relay-opened-by-meter'], posting: { audit: 'charge:reading', entries: ['consumption -30'], state: 'connected', command: null }, balance: 970, then: ['set connected'], wakeAt: null } },
  { name: 'the trip while an override holds the relay closed is held', m: memory({ account: account({ balance: 20 }) }), input: reading(T0 + MIN, { energyImport: 10_100, relayState: 1 }), s: settings({ override: heldClosed }), now: T0 + MIN, want: { posting: { audit: 'charge:reading', entries: ['consumption -30'], state: 'disconnected', command: null }, balance: -10, events: ['low-credit', 'low-credit', 'disconnect-scheduled'], relay: ['held trip'], wakeAt: T0 + 2 * HOUR } },
  { name: 'a top-up to a tripped account: booked with its id, closed after the sync', m: memory({ account: account({ state: tripped, balance: -10 }) }), input: { kind: 'topup', amount: 500, cause: { id: 'c1', type: 'topup', source: 'command:k' } }, now: T0, want: { posting: { audit: 'topup:command:k', entries: ['topup 500'], state: 'connected', command: 'c1' }, balance: 490, events: ['reconnected'], relay: ['set connected'], syncFirst: true, wakeAt: null, answer: 'outcome' } },
  { name: 'a top-up books what is pending with it', m: withPending(memory()), input: { kind: 'topup', amount: 100, cause: { id: 'c2', type: 'topup', source: 'command:k' } }, now: T0 + 10 * MIN, want: { posting: { audit: 'topup:command:k', entries: ['consumption -120', 'topup 100'], state: 'connected', command: 'c2' }, balance: 980, wakeAt: null, answer: 'outcome' } },
  { name: 'kWh typed on a currency account: booked at the tariff in force (5 kWh at 300 sub-units/kWh)', input: { kind: 'keypad-token', wh: 5000, id: 'k1' }, now: T0, want: { posting: { audit: 'topup:keypad', entries: ['topup 1500'], state: 'connected', command: 'k1' }, balance: 2500, wakeAt: null, answer: 'outcome' } },
  { name: 'kWh typed on a currency account with no tariff in force yet: an event for the back office, nothing booked', input: { kind: 'keypad-token', wh: 5000, id: 'k3' }, s: settings({ versions: [] }), now: T0, want: { observed: ['keypad-token-unbooked'], audits: ['keypad-token:unbooked'], answer: 'outcome' } },
  { name: 'kWh typed on an energy account: a top-up', input: { kind: 'keypad-token', wh: 5000, id: 'k2' }, s: settings({ creditUnit: 'energy' }), now: T0, want: { posting: { audit: 'topup:keypad', entries: ['topup 5000'], state: 'connected', command: 'k2' }, balance: 6000, wakeAt: null, answer: 'outcome' } },
  { name: 'clear-credit token: the balance adjusted to zero', input: { kind: 'token', id: 't1', outcome: { status: 'applied', id: 't1', type: 'token' }, tokenMemory: { scheme: 'sts', memory: {} }, effect: 'clear-credit' }, now: T0, want: { posting: { audit: 'token:clear-credit', entries: ['adjustment -1000', ], state: 'disconnected', command: 't1' }, balance: 0, events: ['low-credit', 'low-credit', 'disconnect-scheduled'], relay: ['set disconnected'], wakeAt: null, answer: 'outcome' } },
  { name: 'time credit token: saved before the rules, which see its minutes', m: memory({ account: account({ state: tripped, balance: 0 }) }), input: { kind: 'token', id: 't2', outcome: { status: 'applied', id: 't2', type: 'token' }, tokenMemory: { scheme: 'openpaygo', memory: {} }, effect: 'time-credit', timeCredit: { value: { paidUntil: T0 + 7 * 24 * HOUR, unlocked: false }, detail: {} } }, s: settings({ timeCredited: true }), now: T0, want: { posting: { audit: 'token:time-credit', entries: [], state: 'connected', command: 't2' }, balance: 0, events: ['reconnected'], relay: ['set connected'], syncFirst: true, wakeAt: T0 + 7 * 24 * HOUR, settings: 'before time-credit', answer: 'outcome' } },
  { name: 'override: saved first, the relay driven, the timer set for its end', input: { kind: 'override', override: heldOpen, cause: 'tech' }, now: T0, want: { relay: ['set disconnected'], wakeAt: T0 + 2 * HOUR, settings: 'before override disconnected', answer: 'last-relay' } },
  { name: 'override released: saved first, the rules, then the relay restored', m: memory({ account: account({ state: tripped, balance: -10 }), relay: 'connected' }), input: { kind: 'override', override: null, cause: 'tech' }, s: settings({ override: heldClosed }), now: T0 + HOUR, want: { then: ['restore disconnected'], settings: 'before override released', answer: 'readback' } },
  { name: 'the timer after the override ran out: rules, release, restore', m: memory({ account: account({ state: tripped, balance: -10 }), relay: 'connected' }), input: { kind: 'reevaluate', cause: 'timer' }, s: settings({ override: heldClosed }), now: T0 + 2 * HOUR, want: { then: ['restore disconnected'], settings: 'after override released' } },
  { name: 'the start after an override ended while the gateway was down: rules, release, restore (driven)', m: memory({ account: account({ state: tripped, balance: -10 }) }), input: { kind: 'reevaluate', cause: 'start' }, s: settings({ override: heldClosed }), now: T0 + 3 * HOUR, want: { then: ['restore disconnected (drive)'], settings: 'after override released' } },
  { name: 'the timer while the override holds: nothing to do', input: { kind: 'reevaluate', cause: 'timer' }, s: settings({ override: heldClosed }), now: T0 + HOUR, want: {} },
  { name: 'the notice ends: the timer trips', m: memory({ account: account({ balance: -10, state: { ...connected, warned: 1, disconnectAt: T0 + 31 * MIN } }) }), input: { kind: 'reevaluate', cause: 'timer' }, s: settings({ policy: noticePolicy }), now: T0 + 31 * MIN, want: { posting: { audit: 'policy:timer', entries: [], state: 'disconnected', command: null }, balance: -10, events: [], relay: ['set disconnected'], wakeAt: null } },
  { name: 'the notice has not ended yet: nothing', m: memory({ account: account({ balance: -10, state: { ...connected, warned: 1, disconnectAt: T0 + 31 * MIN } }) }), input: { kind: 'reevaluate', cause: 'timer' }, s: settings({ policy: noticePolicy }), now: T0 + 30 * MIN, want: {} },
  { name: 'stop with charges pending: booked without the rules', m: withPending(memory()), input: { kind: 'shutdown' }, now: T0 + 15 * MIN, want: { posting: { audit: 'charge:shutdown', entries: ['consumption -120'], state: null, command: null } } },
  { name: 'stop with nothing pending: nothing', input: { kind: 'shutdown' }, now: T0, want: {} },
];

for (const v of vectors) {
  test(`decide: ${v.name}`, (t) => {
    const m = v.m ?? memory();
    const before = JSON.stringify([...Object.entries(m)]);
    const d = decide(m, v.input, v.s ?? settings(), v.now);
    t.deepEqual(summary(d), { ...quiet, ...v.want });
    t.is(JSON.stringify([...Object.entries(m)]), before, 'the step changed nothing it was given');
  });
}

test('decide: the same input at the same instant gives the same decision', (t) => {
  const m = withPending(memory({ account: account({ balance: 20 }) }));
  const a = decide(m, reading(T0 + 20 * MIN, { energyImport: 10_500 }), settings(), T0 + 20 * MIN);
  const b = decide(m, reading(T0 + 20 * MIN, { energyImport: 10_500 }), settings(), T0 + 20 * MIN);
  t.deepEqual(JSON.stringify({ ...a, posting: { ...a.posting, command: undefined } }), JSON.stringify({ ...b, posting: { ...b.posting, command: undefined } }));
});

test('decide: a reading keeps the peak power and the readback in the memory it returns', (t) => {
  const d = decide(memory({ peakPowerW: 800 }), reading(T0 + MIN, { energyImport: 10_010, power: 2500, relayState: 1 }), settings(), T0 + MIN);
  t.is(d.memory.peakPowerW, 2500);
  t.is(d.memory.relay, 'connected');
  t.is(d.memory.pending?.consumption, 3);
  t.deepEqual(d.usage, { day: '2026-01-05', amount: 3 });
  void cursorAt;
});
