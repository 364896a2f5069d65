import test from 'ava';
import type { AccountState, Policy } from '../../../src/core/credit/contracts.js';
import { evaluate, initialAccountState, parsePolicy } from '../../../src/core/policy/index.js';
import { AccountSim, DAY, HOUR, MINUTE, at } from './account-sim.js';

const policy = (over: Record<string, unknown> = {}): Policy =>
  parsePolicy({ id: 'test', lowCreditThresholds: [30000, 10000, 5000], reconnect: { mode: 'auto', threshold: 2000 }, ...over });

const irishFriendly = {
  windows: [
    { from: '16:00', to: '08:00' },
    { days: ['saturday', 'sunday', 'holiday'], from: '00:00', to: '00:00' },
  ],
  holidays: ['2025-03-17'],
};
const WED_NOON = at('2025-03-12T12:00:00Z'); // Europe/Dublin is on GMT until 2025-03-30
const types = (d: { events: Array<{ type: string }> }) => d.events.map((e) => e.type);

test('low-credit: one warning per threshold crossed downward, re-armed above it', (t) => {
  const sim = new AccountSim(policy(), 40000, WED_NOON);
  // [balance, thresholds (index) announced by this step]
  const steps: Array<[number, number[]]> = [
    [40000, []],
    [30000, []], // at a threshold is not below it
    [29999, [0]],
    [20000, []],
    [9000, [1]],
    [9500, []],
    [10000, []], // back at 10000 is not above it: not re-armed
    [9000, []],
    [10001, []], // re-armed for 10000
    [4000, [1, 2]], // two crossed at once: two events
    [31000, []], // everything re-armed
    [1000, [0, 1, 2]],
  ];
  for (const [balance, expected] of steps) {
    sim.balance = balance;
    sim.now += MINUTE;
    const d = sim.evaluate();
    const warned = d.events.filter((e) => e.type === 'low-credit');
    t.deepEqual(warned.map((e) => e.data.index), expected, `balance ${balance}`);
    for (const e of warned) t.is(e.data.threshold, [30000, 10000, 5000][e.data.index as number]);
  }
});

test('zero credit outside friendly periods: notice, then the trip exactly when it expires', (t) => {
  const sim = new AccountSim(policy({ disconnectNoticeMs: HOUR }), 1000, WED_NOON);
  const d = sim.charge(1000);
  t.deepEqual(types(d).filter((x) => x.startsWith('disconnect')), ['disconnect-scheduled']);
  const scheduled = d.events.find((e) => e.type === 'disconnect-scheduled')!;
  t.is(scheduled.data.at, WED_NOON + HOUR);
  t.is(scheduled.data.reason, 'credit-exhausted');
  t.deepEqual(d.actions, []);
  t.is(d.wakeAt, WED_NOON + HOUR);

  sim.now = WED_NOON + HOUR - 1;
  const before = sim.charge(10);
  t.deepEqual(before.actions, []);
  t.deepEqual(before.events, []);

  sim.now = WED_NOON + HOUR;
  const trip = sim.evaluate();
  t.deepEqual(trip.actions, [{ type: 'trip', cause: 'credit-exhausted' }]);
  t.is(trip.state.supply, 'disconnected');
  t.is(trip.state.disconnectAt, null);
  t.is(trip.wakeAt, null);
});

test('disconnectNoticeMs 0 trips in the same evaluation', (t) => {
  const sim = new AccountSim(policy(), 500, WED_NOON);
  const d = sim.charge(600);
  t.true(types(d).includes('disconnect-scheduled'));
  t.deepEqual(d.actions, [{ type: 'trip', cause: 'credit-exhausted' }]);
});

test('credit restored during the notice cancels the disconnect', (t) => {
  const sim = new AccountSim(policy({ disconnectNoticeMs: HOUR }), 0, WED_NOON);
  sim.evaluate();
  sim.now += 10 * MINUTE;
  const d = sim.topUp(50000);
  t.deepEqual(types(d), ['disconnect-cancelled']);
  t.is(d.state.disconnectAt, null);
  sim.advance(WED_NOON + 2 * HOUR);
  t.deepEqual(sim.actionsSince(), []);
});

test('friendly weekend and a holiday Monday: no trip, one announcement, the trip when the period ends', (t) => {
  const fri1700 = at('2025-03-14T17:00:00Z');
  const tue0800 = at('2025-03-18T08:00:00Z');
  const sim = new AccountSim(policy({ friendly: irishFriendly }), 100, fri1700);
  const d = sim.charge(100);
  const fz = d.events.filter((e) => e.type !== 'low-credit');
  t.deepEqual(fz.map((e) => e.type), ['friendly-period-zero-credit']);
  t.is(fz[0]!.data.until, tue0800);
  t.is(d.wakeAt, tue0800);
  // Usage continues hour by hour; the caller books it as consumption (debt).
  while (sim.now + HOUR < tue0800) {
    sim.now += HOUR;
    const h = sim.charge(300);
    t.deepEqual(h.actions, []);
    t.false(types(h).includes('friendly-period-zero-credit'));
    t.is(h.wakeAt, tue0800);
  }
  t.true(sim.balance < -20000);
  sim.advance(tue0800 + HOUR);
  const actions = sim.actionsSince();
  t.deepEqual(actions, [{ now: tue0800, type: 'trip' }]);
  const at0800 = sim.decisions.find((x) => x.now === tue0800)!;
  t.is(at0800.events.find((e) => e.type === 'disconnect-scheduled')!.data.reason, 'friendly-period-ended');
});

test('after a friendly period the notice runs from its end', (t) => {
  const wedNight = at('2025-03-12T23:00:00Z');
  const thu0800 = at('2025-03-13T08:00:00Z');
  const sim = new AccountSim(policy({ friendly: { windows: [{ days: ['weekday'], from: '22:00', to: '06:00' }, { days: ['weekday'], from: '06:00', to: '08:00' }], holidays: [] }, disconnectNoticeMs: 30 * MINUTE }), 0, wedNight);
  t.is(sim.evaluate().wakeAt, thu0800);
  sim.advance(thu0800 + HOUR);
  t.deepEqual(sim.actionsSince(), [{ now: thu0800 + 30 * MINUTE, type: 'trip' }]);
});

test('a window wrapping midnight protects until its end the next morning', (t) => {
  const sim = new AccountSim(policy({ friendly: { windows: [{ days: ['weekday'], from: '22:00', to: '06:00' }], holidays: [] } }), 0, at('2025-03-14T23:30:00Z'));
  t.deepEqual(types(sim.evaluate()), ['low-credit', 'low-credit', 'low-credit', 'friendly-period-zero-credit']);
  sim.advance(at('2025-03-15T12:00:00Z'));
  t.deepEqual(sim.actionsSince(), [{ now: at('2025-03-15T06:00:00Z'), type: 'trip' }]);
});

test('a DST change inside the friendly night: the trip at 09:00 local, an hour earlier in UTC', (t) => {
  const sim = new AccountSim(policy({ friendly: { windows: [{ from: '18:00', to: '09:00' }], holidays: [] } }), 0, at('2025-03-29T20:00:00Z'), 'Europe/London');
  sim.evaluate();
  sim.advance(at('2025-03-30T12:00:00Z'));
  t.deepEqual(sim.actionsSince(), [{ now: at('2025-03-30T08:00:00Z'), type: 'trip' }]);
});

test('a notice given before a friendly period lapses when it starts; no trip inside it', (t) => {
  const sim = new AccountSim(policy({ friendly: irishFriendly, disconnectNoticeMs: HOUR }), 0, at('2025-03-12T15:30:00Z'));
  t.true(types(sim.evaluate()).includes('disconnect-scheduled'));
  sim.now = at('2025-03-12T16:30:00Z'); // the caller's timer fires; the night window has begun
  const d = sim.evaluate();
  t.deepEqual(types(d), ['disconnect-cancelled', 'friendly-period-zero-credit']);
  t.deepEqual(d.actions, []);
  sim.advance(at('2025-03-13T10:00:00Z'));
  t.deepEqual(sim.actionsSince(), [{ now: at('2025-03-13T09:00:00Z'), type: 'trip' }]);
});

test('maxDebt: friendly protection ends once debt exceeds it', (t) => {
  const sim = new AccountSim(policy({ friendly: irishFriendly, maxDebt: 5000 }), 0, at('2025-03-15T10:00:00Z'));
  t.deepEqual(sim.charge(5000).actions, []); // debt 5000 = maxDebt: still protected
  sim.now += HOUR;
  const d = sim.charge(1);
  t.deepEqual(d.actions, [{ type: 'trip', cause: 'max-debt' }]);
  const s = d.events.find((e) => e.type === 'disconnect-scheduled')!;
  t.like(s.data, { reason: 'max-debt', debt: 5001, maxDebt: 5000 });
});

const ec = (requiresButton: boolean) => policy({ emergencyCredit: { amount: 10000, requiresButton }, lowCreditThresholds: [30000, 10000] });

test('emergency credit with the button: offered below the lowest threshold, taken on the press, repaid first from the top-up', (t) => {
  const sim = new AccountSim(ec(true), 12000, WED_NOON);
  t.deepEqual(types(sim.evaluate()), ['low-credit']);
  const low = sim.charge(3000);
  t.deepEqual(types(low), ['emergency-credit-offered', 'low-credit']);
  t.like(low.events[0]!.data, { amount: 10000, requiresButton: true });
  sim.now += MINUTE;
  t.deepEqual(types(sim.charge(1)), []); // offered once
  sim.now += MINUTE;
  const taken = sim.evaluate({ buttonPressed: true });
  t.deepEqual(taken.entries, [{ kind: 'emergency-credit-taken', amount: 10000, ts: sim.now, cause: { policy: 'test', how: 'button' } }]);
  t.true(types(taken).includes('emergency-credit-taken'));
  t.is(sim.balance, 18999);
  t.deepEqual(taken.state.emergency, { offered: true, inUse: true, outstanding: 10000 });
  sim.now += MINUTE;
  const again = sim.evaluate({ emergencyRequested: true });
  t.deepEqual(again.entries, []);
  t.deepEqual(again.events.find((e) => e.type === 'emergency-credit-refused')?.data.reason, 'in-use');
  // Runs out: disconnected (no second advance).
  sim.now += MINUTE;
  t.deepEqual(sim.charge(19000).actions, [{ type: 'trip', cause: 'credit-exhausted' }]);
  sim.now += HOUR;
  const top = sim.topUp(30000);
  t.is(sim.balance, -1 + 30000 - 10000);
  t.deepEqual(top.actions, [{ type: 'close', cause: 'credit-restored' }]);
  t.deepEqual(sim.state.emergency, { offered: false, inUse: false, outstanding: 0 });
});

test('emergency credit without the button is taken automatically when credit would run out', (t) => {
  const sim = new AccountSim(ec(false), 11000, WED_NOON);
  const d = sim.charge(11500);
  t.deepEqual(types(d).filter((x) => x.startsWith('emergency')), ['emergency-credit-offered', 'emergency-credit-taken']);
  t.deepEqual(d.entries.map((e) => [e.kind, e.amount]), [['emergency-credit-taken', 10000]]);
  t.deepEqual(d.actions, []);
  t.is(sim.balance, 9500);
  t.false(types(d).includes('disconnect-scheduled'));
});

test('emergency credit: a button press above the lowest threshold takes nothing; a request is refused', (t) => {
  const sim = new AccountSim(ec(true), 20000, WED_NOON);
  t.deepEqual(sim.evaluate({ buttonPressed: true }).entries, []);
  const r = sim.evaluate({ emergencyRequested: true });
  t.is(r.events.find((e) => e.type === 'emergency-credit-refused')?.data.reason, 'credit-not-low');
  const none = new AccountSim(policy(), 100, WED_NOON).evaluate({ emergencyRequested: true });
  t.is(none.events.find((e) => e.type === 'emergency-credit-refused')?.data.reason, 'not-in-policy');
});

test('emergency credit taken while disconnected reconnects (auto) when it reaches the threshold', (t) => {
  const sim = new AccountSim(ec(true), 100, WED_NOON);
  sim.charge(200);
  t.is(sim.state.supply, 'disconnected');
  sim.now += MINUTE;
  const d = sim.evaluate({ emergencyRequested: true });
  t.deepEqual(d.actions, [{ type: 'close', cause: 'credit-restored' }]);
  t.is(sim.balance, 9900);
});

test('reconnect, auto: the relay closes once the balance reaches the threshold (and is above 0)', (t) => {
  const sim = new AccountSim(policy(), 0, WED_NOON);
  sim.evaluate();
  t.is(sim.state.supply, 'disconnected');
  sim.now += HOUR;
  t.deepEqual(sim.topUp(1999).actions, []); // threshold 2000
  sim.now += HOUR;
  const d = sim.topUp(1);
  t.deepEqual(d.actions, [{ type: 'close', cause: 'credit-restored' }]);
  t.deepEqual(types(d), ['reconnected']);
  t.is(d.state.supply, 'connected');
});

test('reconnect, threshold 0 still needs credit above zero', (t) => {
  const sim = new AccountSim(policy({ reconnect: { mode: 'auto', threshold: 0 } }), -50, WED_NOON);
  sim.evaluate();
  sim.now += HOUR;
  t.deepEqual(sim.topUp(50).actions, []);
  t.deepEqual(sim.topUp(1).actions, [{ type: 'close', cause: 'credit-restored' }]);
});

test('reconnect, armed: ready-for-reconnection, then the customer\'s button closes the relay', (t) => {
  const sim = new AccountSim(policy({ reconnect: { mode: 'armed', threshold: 2000 } }), 0, WED_NOON);
  sim.evaluate();
  sim.now += HOUR;
  const armed = sim.topUp(5000);
  t.deepEqual(armed.actions, [{ type: 'arm', cause: 'credit-restored' }]);
  t.deepEqual(types(armed), ['ready-for-reconnection']);
  t.is(armed.state.supply, 'ready-for-reconnection');
  sim.now += HOUR;
  const waiting = sim.evaluate({ relay: 'ready-for-reconnection' });
  t.deepEqual([waiting.actions, waiting.events], [[], []]);
  sim.now += HOUR;
  const pressed = sim.evaluate({ buttonPressed: true });
  t.deepEqual(pressed.actions, [{ type: 'close', cause: 'button' }]);
  t.is(pressed.events[0]!.type, 'reconnected');
  t.is(pressed.state.supply, 'connected');
});

test('reconnect, armed: the meter\'s own button, seen in the readback, reconnects with no action', (t) => {
  const sim = new AccountSim(policy({ reconnect: { mode: 'armed', threshold: 0 } }), 0, WED_NOON);
  sim.evaluate();
  sim.topUp(100);
  const d = sim.evaluate({ relay: 'connected' });
  t.deepEqual(d.actions, []);
  t.deepEqual(d.events, [{ type: 'reconnected', data: { by: 'readback', balance: 100 } }]);
});

test('restart: a state loaded from storage produces no action or event unless the rules demand one', (t) => {
  const p = policy({ friendly: irishFriendly, disconnectNoticeMs: HOUR, emergencyCredit: { amount: 1000, requiresButton: true }, reconnect: { mode: 'armed', threshold: 2000 } });
  const base = initialAccountState();
  // [name, persisted state, balance, now, relay readback]
  const cases: Array<[string, AccountState, number, number, AccountState['supply'] | undefined]> = [
    ['connected in credit', { ...base, warned: 0 }, 20000, WED_NOON, 'connected'],
    ['connected, relay found open (override)', base, 50000, WED_NOON, 'disconnected'],
    ['notice running', { ...base, warned: 2, disconnectAt: WED_NOON + 30 * MINUTE, emergency: { offered: true, inUse: false, outstanding: 0 } }, 0, WED_NOON, 'connected'],
    ['disconnected, still no credit', { ...base, supply: 'disconnected', warned: 2, emergency: { offered: true, inUse: true, outstanding: 1000 } }, -300, WED_NOON, 'disconnected'],
    ['disconnected, relay found closed (bypass is the caller\'s)', { ...base, supply: 'disconnected', warned: 2, emergency: { offered: true, inUse: true, outstanding: 1000 } }, -300, WED_NOON, 'connected'],
    ['ready for reconnection', { ...base, supply: 'ready-for-reconnection', warned: 2, emergency: { offered: true, inUse: false, outstanding: 0 } }, 3000, WED_NOON, 'ready-for-reconnection'],
    ['friendly period at zero, announced', { ...base, warned: 2, friendlyZero: true, emergency: { offered: true, inUse: true, outstanding: 1000 } }, -800, at('2025-03-15T03:00:00Z'), 'connected'],
  ];
  for (const [name, state, balance, now, relay] of cases) {
    const restored = JSON.parse(JSON.stringify(state)) as AccountState;
    const d = evaluate({ policy: p, zone: 'Europe/Dublin', state: restored, balance, now, ...(relay ? { relay } : {}) });
    t.deepEqual(d.actions, [], name);
    t.deepEqual(d.events, [], name);
    t.deepEqual(d.entries, [], name);
    t.deepEqual(d.state, state, name);
  }
  // The gateway was down when the notice expired: the rules demand the trip now.
  const late = evaluate({ policy: p, zone: 'Europe/Dublin', state: { ...base, warned: 2, disconnectAt: WED_NOON - MINUTE, emergency: { offered: true, inUse: false, outstanding: 0 } }, balance: 0, now: WED_NOON });
  t.deepEqual(late.actions, [{ type: 'trip', cause: 'credit-exhausted' }]);
});

test('three weeks on the clock: warnings, nights, weekends, trips only on weekday daytime, top-ups reconnect', (t) => {
  const p = policy({ friendly: irishFriendly, disconnectNoticeMs: HOUR, reconnect: { mode: 'auto', threshold: 2000 } });
  const start = at('2025-03-03T00:00:00Z'); // a Monday; Dublin stays on GMT until 2025-03-30
  const sim = new AccountSim(p, 40000, start);
  let disconnectedSince: number | null = null;
  for (let ms = start; ms < start + 21 * DAY; ms += 15 * MINUTE) {
    sim.advance(ms);
    if (sim.state.supply === 'connected') sim.charge(200); // 0.8 an hour while the supply is on
    else sim.evaluate();
    if (sim.state.supply !== 'connected') disconnectedSince ??= ms;
    else disconnectedSince = null;
    // The customer tops up six hours after being cut off.
    if (disconnectedSince !== null && ms - disconnectedSince >= 6 * HOUR) sim.topUp(40000);
  }
  const trips = sim.actionsSince().filter((a) => a.type === 'trip');
  t.true(trips.length >= 3);
  for (const { now } of trips) {
    const d = new Date(now);
    t.true(d.getUTCDay() >= 1 && d.getUTCDay() <= 5 && d.getUTCHours() >= 8 && d.getUTCHours() < 16 && d.toISOString().slice(0, 10) !== '2025-03-17', d.toISOString());
  }
  t.is(sim.actionsSince().filter((a) => a.type === 'close').length, trips.length);
  t.true(sim.decisions.some((d) => d.events.some((e) => e.type === 'friendly-period-zero-credit')));
});
