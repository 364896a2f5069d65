/**
 * One contract for every RelayDriver (like MQTT.js's abstract store tests): each driver's test file
 * passes a harness that builds the driver on its real counterpart (simulated meter, virtual board)
 * and can make the relay stick or the meter refuse; the same tests run against all of them.
 */
import avaTest, { type ExecutionContext, type TestFn } from 'ava';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { RelayDriver, SupplyState } from '../../src/core/credit/contracts.js';
import type { RelayAttempt, RelayDriverOptions } from '../../src/adapters/relay/verified-set.js';

export interface RelayFixture {
  driver: RelayDriver;
  /** The physical truth: is the contact closed? */
  contactClosed(): boolean | Promise<boolean>;
  /** From now on commands are acknowledged but the contact does not move (welded / stuck relay). */
  stick(): void | Promise<void>;
  /** From now on the meter refuses a close (exception / abnormal reply); undefined = it never refuses. */
  refuseClose?: () => void | Promise<void>;
  /** The customer's reconnect button (for drivers that arm). */
  pressButton?: () => Promise<void>;
  /** Commands that reached the meter or pin so far (to prove an idempotent set sends none). */
  commands(): number;
  close(): Promise<void>;
}

export interface RelayHarness {
  name: string;
  setup(opts: RelayDriverOptions): Promise<RelayFixture>;
  /** 'real': armed = open until the button; 'closes': the meter closes at once on close-allowed; 'unsupported'. */
  arm: 'real' | 'closes' | 'unsupported';
  /** Whether the counterpart can refuse a command (a plain GPIO relay cannot). */
  refuses: boolean;
  /** Whether readback can see a relay that did not move (false: readback is the commanded state). */
  detectsStuck: boolean;
}

interface Recorder {
  attempts: RelayAttempt[];
  mismatches: PrepaidError[];
  sleeps: number[];
  opts: RelayDriverOptions;
}

function recorder(): Recorder {
  const r: Recorder = { attempts: [], mismatches: [], sleeps: [], opts: {} };
  r.opts = {
    sleep: async (ms) => void r.sleeps.push(ms),
    onAttempt: (a) => r.attempts.push(a),
    onMismatch: (e) => r.mismatches.push(e),
  };
  return r;
}

async function withFixture(t: ExecutionContext, h: RelayHarness, fn: (f: RelayFixture, r: Recorder) => Promise<void>): Promise<void> {
  const r = recorder();
  const f = await h.setup(r.opts);
  t.teardown(() => f.close());
  await fn(f, r);
}

async function startAs(f: RelayFixture, r: Recorder, state: SupplyState): Promise<void> {
  await f.driver.set(state, 'test setup');
  r.attempts.length = 0;
  r.sleeps.length = 0;
}

export function relayContract(h: RelayHarness, test: TestFn = avaTest): void {
  const name = (s: string) => `${h.name}: ${s}`;

  test(name('trip opens the relay and the readback says disconnected'), (t) =>
    withFixture(t, h, async (f, r) => {
      await startAs(f, r, 'connected');
      t.true(await f.contactClosed());
      const s = await f.driver.set('disconnected', 'credit exhausted');
      t.is(s.state, 'disconnected');
      t.false(await f.contactClosed());
      t.is((await f.driver.read()).state, 'disconnected');
      t.like(r.attempts.at(-1), { meter: f.driver.meter, target: 'disconnected', cause: 'credit exhausted', attempt: 1, outcome: 'ok' });
      t.truthy(s.raw, 'raw readback kept for the audit log');
      t.deepEqual(r.sleeps, []);
    }));

  test(name('close connects directly'), (t) =>
    withFixture(t, h, async (f, r) => {
      await startAs(f, r, 'disconnected');
      const s = await f.driver.set('connected', 'top-up');
      t.is(s.state, 'connected');
      t.true(await f.contactClosed());
      t.like(r.attempts.at(-1), { attempt: 1, outcome: 'ok' });
    }));

  if (h.arm === 'unsupported') {
    test(name('arm is E_RELAY_UNSUPPORTED and leaves the relay alone'), (t) =>
      withFixture(t, h, async (f, r) => {
        await startAs(f, r, 'disconnected');
        const n = f.commands();
        const e = await t.throwsAsync(f.driver.set('ready-for-reconnection', 'top-up'));
        t.is((e as PrepaidError).code, 'E_RELAY_UNSUPPORTED');
        t.is(f.commands(), n);
        t.false(await f.contactClosed());
      }));
  } else {
    test(name('arm leaves the supply to the customer'), (t) =>
      withFixture(t, h, async (f, r) => {
        await startAs(f, r, 'disconnected');
        const s = await f.driver.set('ready-for-reconnection', 'top-up');
        if (h.arm === 'closes') {
          // the meter closed at once: accepted as satisfying the arm
          t.is(s.state, 'connected');
          t.true(await f.contactClosed());
          return;
        }
        t.is(s.state, 'ready-for-reconnection');
        t.false(await f.contactClosed(), 'armed is still open');
        t.is((await f.driver.read()).state, 'ready-for-reconnection');
        await f.pressButton!();
        t.true(await f.contactClosed());
        t.is((await f.driver.read()).state, 'connected');
      }));

    test(name('arm on a connected relay keeps it connected (no remote connected -> ready)'), (t) =>
      withFixture(t, h, async (f, r) => {
        await startAs(f, r, 'connected');
        const s = await f.driver.set('ready-for-reconnection', 'policy');
        t.is(s.state, 'connected');
        t.true(await f.contactClosed());
      }));
  }

  test(name('read reports what set verified, with raw readback'), (t) =>
    withFixture(t, h, async (f, r) => {
      await startAs(f, r, 'disconnected');
      const a = await f.driver.read();
      t.is(a.state, 'disconnected');
      await f.driver.set('connected', 'x');
      const b = await f.driver.read();
      t.is(b.state, 'connected');
      t.is(typeof b.raw, 'object');
    }));

  test(name('setting the state it is already in sends no command'), (t) =>
    withFixture(t, h, async (f, r) => {
      await startAs(f, r, 'connected');
      const n = f.commands();
      const s = await f.driver.set('connected', 'again');
      t.is(s.state, 'connected');
      t.is(f.commands(), n);
      t.deepEqual(r.attempts.map((a) => [a.attempt, a.outcome]), [[0, 'already']]);
      await f.driver.set('disconnected', 'trip');
      const m = f.commands();
      await f.driver.set('disconnected', 'trip again');
      t.is(f.commands(), m);
      t.false(await f.contactClosed());
    }));

  if (h.detectsStuck) {
    test(name('a stuck relay: retries with backoff, then E_RELAY_MISMATCH and the hook'), (t) =>
      withFixture(t, h, async (f, r) => {
        await startAs(f, r, 'connected');
        await f.stick();
        const e = (await t.throwsAsync(f.driver.set('disconnected', 'credit exhausted'))) as PrepaidError;
        t.is(e.code, 'E_RELAY_MISMATCH');
        t.like(e.context, { meter: f.driver.meter, wanted: 'disconnected', got: 'connected', attempts: 3 });
        t.deepEqual(r.sleeps, [200, 400], 'exponential backoff between the 3 attempts');
        t.deepEqual(r.attempts.map((a) => [a.attempt, a.outcome]), [[1, 'mismatch'], [2, 'mismatch'], [3, 'mismatch']]);
        t.is(r.mismatches.length, 1);
        t.is(r.mismatches[0], e);
        t.true(await f.contactClosed(), 'the supply really is still on');
      }));

    test(name('a stuck relay that will not close is a mismatch too'), (t) =>
      withFixture(t, h, async (f, r) => {
        await startAs(f, r, 'disconnected');
        await f.stick();
        const e = (await t.throwsAsync(f.driver.set('connected', 'top-up'))) as PrepaidError;
        t.is(e.code, 'E_RELAY_MISMATCH');
        t.like(e.context, { wanted: 'connected', got: 'disconnected' });
      }));
  }

  if (h.refuses) {
    test(name('a refused close is E_RELAY_REFUSED at once, not retried'), (t) =>
      withFixture(t, h, async (f, r) => {
        await startAs(f, r, 'disconnected');
        await f.refuseClose!();
        const e = (await t.throwsAsync(f.driver.set('connected', 'top-up'))) as PrepaidError;
        t.is(e.code, 'E_RELAY_REFUSED');
        t.like(e.context, { meter: f.driver.meter, wanted: 'connected', attempts: 1 });
        t.deepEqual(r.sleeps, []);
        t.like(r.attempts.at(-1), { attempt: 1, outcome: 'refused' });
        t.is(r.mismatches.length, 0);
        t.false(await f.contactClosed());
      }));
  }
}
