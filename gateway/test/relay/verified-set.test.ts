/** The shared retry loop on a scripted relay: backoff, transport errors, late readback, hooks. */
import test from 'ava';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { RelayStatus, SupplyState } from '../../src/core/credit/contracts.js';
import { backoffDelays, satisfies, verifiedSet, type RelayAttempt } from '../../src/adapters/relay/verified-set.js';

test('backoff: initial delay doubling, capped, one fewer than the attempts', (t) => {
  const rows: Array<[Parameters<typeof backoffDelays>[0], number[]]> = [
    [{}, [200, 400]],
    [{ attempts: 1 }, []],
    [{ attempts: 5, initialDelayMs: 100, maxDelayMs: 500 }, [100, 200, 400, 500]],
    [{ attempts: 4, initialDelayMs: 1000 }, [1000, 2000, 4000]],
    [{ attempts: 0 }, []],
  ];
  for (const [o, want] of rows) t.deepEqual(backoffDelays(o), want, JSON.stringify(o));
});

test('satisfies: an arm is met by connected, nothing else is lenient', (t) => {
  const states: SupplyState[] = ['connected', 'disconnected', 'ready-for-reconnection'];
  const ok = states.flatMap((target) => states.filter((got) => satisfies(target, got)).map((got) => `${target}<-${got}`));
  t.deepEqual(ok, ['connected<-connected', 'disconnected<-disconnected', 'ready-for-reconnection<-connected', 'ready-for-reconnection<-ready-for-reconnection']);
});

/** A relay whose reads follow a script: each entry is a state or an error; the last one repeats. */
function scripted(reads: Array<SupplyState | PrepaidError>, commandErrors: Array<PrepaidError | undefined> = []) {
  let r = 0;
  let c = 0;
  const commands: SupplyState[] = [];
  return {
    commands,
    read: async (): Promise<RelayStatus> => {
      const x = reads[Math.min(r++, reads.length - 1)]!;
      if (x instanceof PrepaidError) throw x;
      return { state: x, raw: { n: r } };
    },
    command: async (target: SupplyState) => {
      commands.push(target);
      const e = commandErrors[c++];
      if (e) throw e;
    },
  };
}

const timeout = () => new PrepaidError('E_MODBUS_TIMEOUT', 'no reply', {});

test('a readback that matches on the second attempt: one wait, two commands', async (t) => {
  const s = scripted(['connected', 'connected', 'disconnected']);
  const sleeps: number[] = [];
  const attempts: RelayAttempt[] = [];
  let clock = 1000;
  const st = await verifiedSet(
    { meter: 'm', target: 'disconnected', cause: 'c', ...s },
    { sleep: async (ms) => void ((clock += ms), sleeps.push(ms)), now: () => clock, onAttempt: (a) => attempts.push(a) },
  );
  t.is(st.state, 'disconnected');
  t.deepEqual(s.commands, ['disconnected', 'disconnected']);
  t.deepEqual(sleeps, [200]);
  t.deepEqual(attempts.map((a) => [a.attempt, a.outcome, a.elapsedMs]), [[1, 'mismatch', 0], [2, 'ok', 200]]);
});

test('transport errors are retried; when they never stop, the mismatch carries the error code', async (t) => {
  const s = scripted([timeout()]);
  const mism: PrepaidError[] = [];
  const e = (await t.throwsAsync(
    verifiedSet({ meter: 'm', target: 'connected', cause: 'c', ...s }, { sleep: async () => {}, onMismatch: (x) => mism.push(x) }),
  )) as PrepaidError;
  t.is(e.code, 'E_RELAY_MISMATCH');
  t.like(e.context, { meter: 'm', wanted: 'connected', got: null, attempts: 3, error: 'E_MODBUS_TIMEOUT' });
  t.is((e.cause as PrepaidError).code, 'E_MODBUS_TIMEOUT');
  t.is(s.commands.length, 3, 'an unreadable relay is commanded anyway');
  t.is(mism.length, 1);
});

test('a timeout then a good attempt succeeds', async (t) => {
  const s = scripted(['disconnected', 'connected'], [timeout()]);
  const attempts: RelayAttempt[] = [];
  const st = await verifiedSet({ meter: 'm', target: 'connected', cause: 'c', ...s }, { sleep: async () => {}, onAttempt: (a) => attempts.push(a) });
  t.is(st.state, 'connected');
  t.deepEqual(attempts.map((a) => [a.attempt, a.outcome, a.error]), [[1, 'error', 'E_MODBUS_TIMEOUT'], [2, 'ok', undefined]]);
});

test('a Modbus exception or DL/T 645 abnormal reply is a refusal, never retried', async (t) => {
  for (const code of ['E_MODBUS_EXCEPTION', 'E_DLT645_ERROR'] as const) {
    const s = scripted(['disconnected'], [new PrepaidError(code, 'no', {})]);
    const e = (await t.throwsAsync(verifiedSet({ meter: 'm', target: 'connected', cause: 'c', ...s }, { sleep: async () => t.fail('slept') }))) as PrepaidError;
    t.is(e.code, 'E_RELAY_REFUSED');
    t.like(e.context, { meter: 'm', wanted: 'connected', attempts: 1, error: code });
    t.is(s.commands.length, 1);
  }
});

test('E_RELAY_UNSUPPORTED passes through untouched', async (t) => {
  const s = scripted(['disconnected'], [new PrepaidError('E_RELAY_UNSUPPORTED', 'cannot', {})]);
  const e = (await t.throwsAsync(verifiedSet({ meter: 'm', target: 'connected', cause: 'c', ...s }, { sleep: async () => {} }))) as PrepaidError;
  t.is(e.code, 'E_RELAY_UNSUPPORTED');
});
