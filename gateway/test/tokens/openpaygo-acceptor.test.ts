/** acceptOpenPaygoToken: time credit, replay refused, and the count memory the ledger stores. */
import test from 'ava';
import { encodeOpenPaygoToken, PrepaidError, type OpenPaygoTokenType } from '@prepaid-edge/protocols';
import { acceptOpenPaygoToken, DAY_MS, type OpenPaygoAcceptResult } from '../../src/adapters/tokens/openpaygo-acceptor.js';
import { applyTimeEffect, hasTimeCredit } from '../../src/adapters/tokens/time-credit.js';
import { loadOpenPaygoVectors } from './vectors.js';

const NOW = Date.UTC(2025, 0, 1, 12);
const [V] = loadOpenPaygoVectors();
const device = { key: V!.key, startingCode: V!.starting_code };
const issue = (count: number, type: OpenPaygoTokenType, value?: number, restrictedDigitSet = false) =>
  encodeOpenPaygoToken({ ...device, count, type, ...(value === undefined ? {} : { value }), restrictedDigitSet });
const accept = (token: string, memory?: unknown, now = NOW): OpenPaygoAcceptResult => acceptOpenPaygoToken({ ...device, token, memory, now });

function ok(r: OpenPaygoAcceptResult): Extract<OpenPaygoAcceptResult, { ok: true }> {
  if (!r.ok) throw new Error(`refused: ${r.reason} ${r.message}`);
  return r;
}

test('every vector is accepted by a device at the vector\'s count, once', (t) => {
  for (const v of loadOpenPaygoVectors()) {
    const start = { v: 1, lastCount: v.count, usedCounts: [], updatedAt: null };
    const r = acceptOpenPaygoToken({ key: v.key, startingCode: v.starting_code, token: v.token, memory: start, now: NOW });
    t.true(r.ok, v.token);
    if (!r.ok) continue;
    t.is(r.count, v.new_count);
    const kind: string = { ADD_TIME: 'add-time', SET_TIME: 'set-time', DISABLE_PAYG: 'unlock-forever', COUNTER_SYNC: 'counter-sync' }[v.token_type];
    t.is(r.effect.kind as string, kind);
    if ('days' in r.effect) t.is(r.effect.days as number | null, v.value_raw);
    t.like(acceptOpenPaygoToken({ key: v.key, startingCode: v.starting_code, token: v.token, memory: r.memory, now: NOW }), { ok: false, reason: 'E_TOKEN_USED' });
  }
});

test('add time from a fresh device, then the same token again is refused', (t) => {
  const { token } = issue(1, 'ADD_TIME', 7);
  const r = ok(accept(token));
  t.deepEqual(r.effect, { kind: 'add-time', days: 7, ms: 7 * DAY_MS });
  t.deepEqual(r.memory, { v: 1, lastCount: 2, usedCounts: [2], updatedAt: NOW });
  t.like(accept(token, r.memory), { ok: false, reason: 'E_TOKEN_USED' });
});

test('memory survives a JSON round trip; an unused older add-time token is still accepted once', (t) => {
  const a = issue(1, 'ADD_TIME', 1);
  const b = issue(a.newCount, 'ADD_TIME', 2);
  let memory = JSON.parse(JSON.stringify(ok(accept(b.token)).memory));
  const older = ok(accept(a.token, memory));
  t.deepEqual(older.effect, { kind: 'add-time', days: 1, ms: DAY_MS });
  memory = JSON.parse(JSON.stringify(older.memory));
  t.like(accept(a.token, memory), { ok: false, reason: 'E_TOKEN_USED' });
  t.like(accept(b.token, memory), { ok: false, reason: 'E_TOKEN_USED' });
});

test('a token older than the window is refused as E_TOKEN_OLD', (t) => {
  const { token } = issue(1, 'ADD_TIME', 1); // count 2
  t.like(accept(token, { v: 1, lastCount: 18, usedCounts: [], updatedAt: null }), { ok: false, reason: 'E_TOKEN_OLD' });
  t.true(accept(token, { v: 1, lastCount: 17, usedCounts: [], updatedAt: null }).ok);
});

test('set time gives an absolute expiry and supersedes older tokens', (t) => {
  const add = issue(1, 'ADD_TIME', 30); // count 2, not entered
  const set = issue(add.newCount, 'SET_TIME', 3); // count 3
  const r = ok(accept(set.token));
  t.deepEqual(r.effect, { kind: 'set-time', days: 3, expiresAt: NOW + 3 * DAY_MS });
  t.like(accept(add.token, r.memory), { ok: false, reason: 'E_TOKEN_USED' });
});

test('unlock for good and counter sync', (t) => {
  const unlock = issue(1, 'DISABLE_PAYG', undefined, true);
  t.is(unlock.token.length, 15);
  const u = ok(accept(unlock.token));
  t.deepEqual(u.effect, { kind: 'unlock-forever' });
  const sync = issue(80, 'COUNTER_SYNC'); // beyond the normal 64-count window, inside the sync window
  const s = ok(accept(sync.token, u.memory));
  t.deepEqual(s.effect, { kind: 'counter-sync' });
  t.is((s.memory as { lastCount: number }).lastCount, 81);
});

test('wrong key or mistyped digit -> E_TOKEN_CRC; malformed -> E_TOKEN_FORMAT; bad settings or memory throw', (t) => {
  const { token } = issue(1, 'ADD_TIME', 1);
  t.like(acceptOpenPaygoToken({ ...device, key: '00'.repeat(16), token, memory: undefined, now: NOW }), { ok: false, reason: 'E_TOKEN_CRC' });
  t.like(accept(token.slice(0, 8) + ((Number(token[8]) + 1) % 10)), { ok: false, reason: 'E_TOKEN_CRC' });
  t.like(accept('12345'), { ok: false, reason: 'E_TOKEN_FORMAT' });
  t.like(accept('31411443225113'.padEnd(15, '9')), { ok: false, reason: 'E_TOKEN_FORMAT' });
  t.throws(() => acceptOpenPaygoToken({ ...device, key: 'short', token, memory: undefined, now: NOW }), { instanceOf: PrepaidError });
  t.throws(() => accept(token, { v: 1, lastCount: -1, usedCounts: [], updatedAt: null }), { instanceOf: PrepaidError, message: /lastCount/ });
  t.throws(() => accept(token, { lastCount: 1 }), { instanceOf: PrepaidError, message: /\bv\b/ });
});

test('time credit: add extends from the later of now and the expiry; set replaces; unlock never expires', (t) => {
  const day = DAY_MS;
  let c = { paidUntil: null as number | null, unlocked: false };
  t.false(hasTimeCredit(c, NOW));
  c = applyTimeEffect(c, { kind: 'add-time', days: 2, ms: 2 * day }, NOW);
  t.is(c.paidUntil, NOW + 2 * day);
  c = applyTimeEffect(c, { kind: 'add-time', days: 1, ms: day }, NOW + day);
  t.is(c.paidUntil, NOW + 3 * day);
  c = applyTimeEffect(c, { kind: 'add-time', days: 1, ms: day }, NOW + 10 * day); // lapsed time is not refunded
  t.is(c.paidUntil, NOW + 11 * day);
  c = applyTimeEffect(c, { kind: 'set-time', days: 0, expiresAt: NOW + 10 * day }, NOW + 10 * day);
  t.false(hasTimeCredit(c, NOW + 10 * day));
  c = applyTimeEffect(c, { kind: 'counter-sync' }, NOW);
  t.is(c.paidUntil, NOW + 10 * day);
  c = applyTimeEffect(c, { kind: 'unlock-forever' }, NOW);
  t.true(hasTimeCredit(c, NOW + 1000 * day));
});
