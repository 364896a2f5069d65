import test from 'ava';
import { PrepaidError } from '../../../src/errors.js';
import {
  decodeOpenPaygoToken,
  encodeOpenPaygoToken,
  type OpenPaygoDecoded,
  type OpenPaygoDeviceState,
  type OpenPaygoEncodeInput,
  type OpenPaygoRejectReason,
} from '../../../src/tokens/openpaygo/index.js';

// Device TEST220000001 from the OpenPAYGO-python vectors.
const DEVICE = { key: 'bc41ec9530f6dac86b1a29ab82edc5fb', startingCode: 516959010 };

type Kind = Pick<OpenPaygoEncodeInput, 'type' | 'value'>;
const add = (value: number): Kind => ({ type: 'ADD_TIME', value });
const set = (value: number): Kind => ({ type: 'SET_TIME', value });

/** Token the server issues after `count`. */
function issue(count: number, kind: Kind): { token: string; newCount: number } {
  return encodeOpenPaygoToken({ ...DEVICE, count, ...kind });
}

function enter(token: string, state: OpenPaygoDeviceState): OpenPaygoDecoded {
  return decodeOpenPaygoToken(token, { ...DEVICE, ...state });
}

function refusal(t: import('ava').ExecutionContext, token: string, state: OpenPaygoDeviceState): OpenPaygoRejectReason | undefined {
  const err = t.throws(() => enter(token, state), { instanceOf: PrepaidError });
  t.is(err?.code, 'E_TOKEN_CRC');
  return err?.context.reason as OpenPaygoRejectReason | undefined;
}

test('count parity: ADD_TIME lands on even counts, the other kinds on odd ones', (t) => {
  t.is(issue(1, add(1)).newCount, 2);
  t.is(issue(2, add(1)).newCount, 4);
  t.is(issue(1, set(1)).newCount, 3);
  t.is(issue(2, set(1)).newCount, 3);
  t.is(issue(2, { type: 'DISABLE_PAYG' }).newCount, 3);
  t.is(issue(3, { type: 'COUNTER_SYNC' }).newCount, 5);
});

test('an unused older ADD_TIME is accepted once, then refused as already used', (t) => {
  const a = issue(0, add(3)); // count 2
  const b = issue(a.newCount, add(4)); // count 4
  let state: OpenPaygoDeviceState = { lastCount: 0, usedCounts: [] };
  const rb = enter(b.token, state);
  t.deepEqual([rb.count, rb.value, rb.lastCount], [4, 4, 4]);
  state = rb;
  const ra = enter(a.token, state);
  t.deepEqual([ra.type, ra.value, ra.count, ra.lastCount], ['ADD_TIME', 3, 2, 4]);
  t.deepEqual(ra.usedCounts, [2, 4]);
  t.is(refusal(t, a.token, ra), 'already-used');
  t.is(refusal(t, b.token, ra), 'already-used');
});

test('an ADD_TIME 16 or more counts behind lastCount is refused as too old', (t) => {
  const old = issue(0, add(1)); // count 2
  t.is(refusal(t, old.token, { lastCount: 18, usedCounts: [] }), 'too-old');
  t.is(enter(old.token, { lastCount: 17, usedCounts: [] }).count, 2);
});

test('a SET_TIME must be newer than lastCount', (t) => {
  const s = issue(0, set(30)); // count 1
  t.is(refusal(t, s.token, { lastCount: 2, usedCounts: [] }), 'too-old');
  t.is(refusal(t, s.token, { lastCount: 1, usedCounts: [] }), 'already-used');
  const ok = enter(s.token, { lastCount: 0 });
  t.deepEqual([ok.type, ok.value, ok.count], ['SET_TIME', 30, 1]);
});

test('a SET_TIME marks every older count in the window as used', (t) => {
  const a = issue(0, add(1)); // count 2, never entered
  const s = issue(a.newCount, set(10)); // count 3
  const after = enter(s.token, { lastCount: 0, usedCounts: [] });
  t.deepEqual(after.usedCounts, [0, 1, 2, 3]);
  t.is(refusal(t, a.token, after), 'already-used');
});

test('the decoder searches 64 counts ahead, 100 for COUNTER_SYNC', (t) => {
  t.is(enter(issue(62, add(1)).token, { lastCount: 0 }).count, 64);
  t.is(refusal(t, issue(64, add(1)).token, { lastCount: 0 }), 'invalid');
  const sync = issue(98, { type: 'COUNTER_SYNC' }); // count 99
  const synced = enter(sync.token, { lastCount: 0 });
  t.deepEqual([synced.type, synced.value, synced.count, synced.lastCount], ['COUNTER_SYNC', null, 99, 99]);
  t.is(refusal(t, issue(100, { type: 'COUNTER_SYNC' }).token, { lastCount: 0 }), 'invalid');
});

test('COUNTER_SYNC must be newer than lastCount (deliberate deviation from the Python reference)', (t) => {
  const sync = issue(10, { type: 'COUNTER_SYNC' }); // count 11
  // The Python reference would accept this and move the count back to 11, re-opening counts 12..40.
  t.is(refusal(t, sync.token, { lastCount: 40, usedCounts: [40] }), 'too-old');
  t.is(refusal(t, sync.token, { lastCount: 11, usedCounts: [] }), 'already-used');
  const later = issue(12, add(5)); // count 14
  const synced = enter(sync.token, { lastCount: 9 });
  t.is(synced.lastCount, 11);
  t.is(enter(later.token, synced).count, 14);
});

test('DISABLE_PAYG decodes with a null value', (t) => {
  const out = enter(issue(5, { type: 'DISABLE_PAYG' }).token, { lastCount: 5 });
  t.deepEqual([out.type, out.value, out.count], ['DISABLE_PAYG', null, 7]);
});

test('used counts outside the 16-count window are dropped from the state', (t) => {
  const out = enter(issue(40, add(1)).token, { lastCount: 40, usedCounts: [10, 25, 30, 40] });
  t.deepEqual(out.usedCounts, [30, 40, 42]);
});
