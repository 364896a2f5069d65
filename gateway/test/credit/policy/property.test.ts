/**
 * Random customers: sequences of charges, top-ups, clock steps and button presses against the
 * example-like policies, with the caller following wakeAt as the runtime does.
 */
import test from 'ava';
import fc from 'fast-check';
import type { Policy } from '../../../src/core/credit/contracts.js';
import { inFriendlyPeriod, parsePolicy } from '../../../src/core/policy/index.js';
import { AccountSim, DAY, HOUR, MINUTE, at } from './account-sim.js';

const base = { lowCreditThresholds: [30000, 10000, 3000] };
const policies: Policy[] = [
  parsePolicy({ ...base, id: 'nights-weekends', emergencyCredit: { amount: 5000, requiresButton: true }, friendly: { windows: [{ from: '16:00', to: '08:00' }, { days: ['saturday', 'sunday', 'holiday'], from: '00:00', to: '00:00' }], holidays: ['2025-03-17', '2025-10-27'] }, disconnectNoticeMs: HOUR, maxDebt: 20000, reconnect: { mode: 'auto', threshold: 5000 } }),
  parsePolicy({ ...base, id: 'auto-emergency', emergencyCredit: { amount: 5000, requiresButton: false }, friendly: { windows: [{ days: ['weekday'], from: '22:00', to: '06:00' }], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } }),
  parsePolicy({ ...base, id: 'none', disconnectNoticeMs: 15 * MINUTE, reconnect: { mode: 'auto', threshold: 20000 } }),
  parsePolicy({ ...base, id: 'armed', emergencyCredit: { amount: 8000, requiresButton: true }, friendly: { windows: [{ from: '18:00', to: '09:00' }], holidays: [] }, disconnectNoticeMs: 30 * MINUTE, maxDebt: 3000, reconnect: { mode: 'armed', threshold: 1000 } }),
];

type Op = { op: 'charge'; amount: number } | { op: 'topup'; amount: number } | { op: 'step'; ms: number } | { op: 'button' } | { op: 'request' };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('charge' as const), amount: fc.integer({ min: 0, max: 8000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('topup' as const), amount: fc.integer({ min: 1, max: 40000 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('step' as const), ms: fc.integer({ min: 1, max: 2 * DAY }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'button' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'request' as const }) },
);
// March and October 2025 hold the European DST changes.
const zone = fc.constantFrom('Europe/Dublin', 'Europe/London', 'America/New_York', 'Asia/Shanghai');
const start = fc.integer({ min: at('2025-03-01T00:00:00Z'), max: at('2025-11-01T00:00:00Z') });

test('the machine never trips inside a friendly period (unless over maxDebt), above the floor or before the notice, and a large top-up always reconnects', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...policies), zone, start, fc.integer({ min: -5000, max: 50000 }), fc.array(op, { maxLength: 60 }), (policy, z, t0, balance0, ops) => {
      const sim = new AccountSim(policy, balance0, t0, z);
      sim.evaluate();
      for (const o of ops) {
        if (o.op === 'charge') sim.charge(o.amount);
        else if (o.op === 'topup') sim.topUp(o.amount);
        else if (o.op === 'step') {
          sim.advance(sim.now + o.ms);
          sim.evaluate();
        } else if (o.op === 'button') sim.evaluate({ buttonPressed: true });
        else sim.evaluate({ emergencyRequested: true });
      }
      let scheduledAt: number | null = null;
      for (const d of sim.decisions) {
        for (const e of d.events) {
          if (e.type === 'disconnect-cancelled') scheduledAt = null;
          if (e.type === 'disconnect-scheduled') {
            scheduledAt = e.data.at as number;
            if (scheduledAt !== d.now + policy.disconnectNoticeMs) return fail('notice shorter or longer than disconnectNoticeMs');
          }
        }
        for (const a of d.actions.filter((x) => x.type === 'trip')) {
          if (scheduledAt === null || d.now < scheduledAt) return fail(`tripped before the notice expired at ${new Date(d.now).toISOString()}`);
          scheduledAt = null;
          if (d.balanceAfter > 0) return fail(`tripped with balance ${d.balanceAfter} at ${new Date(d.now).toISOString()}`);
          const overMax = policy.maxDebt > 0 && -d.balanceAfter > policy.maxDebt;
          if (inFriendlyPeriod(policy, z, d.now) && !overMax) return fail(`tripped inside a friendly period at ${new Date(d.now).toISOString()} (${a.cause})`);
        }
        if (d.state.supply !== 'connected' && d.state.disconnectAt !== null) return fail('disconnectAt set while not connected');
        if (!Number.isSafeInteger(d.balanceAfter)) return fail('balance not an integer');
      }
      // A large enough top-up: auto mode ends connected; armed mode after the customer's press.
      sim.now += MINUTE;
      sim.topUp(10_000_000);
      if (policy.reconnect.mode === 'armed' && sim.state.supply !== 'connected') sim.evaluate({ buttonPressed: true });
      if (sim.state.supply !== 'connected') return fail(`not connected after a large top-up: ${sim.state.supply}`);
      return true;
    }),
    { numRuns: 400 },
  );
  t.pass();
});

function fail(message: string): never {
  throw new Error(message);
}
