/** acceptStsToken: effects per class, accepted once, and the memory the ledger stores. */
import test from 'ava';
import { encodeToken, PrepaidError, type StsEncodeInput } from '@prepaid-edge/protocols';
import { acceptStsToken, type StsAcceptInput, type StsAcceptResult } from '../../src/adapters/tokens/sts-acceptor.js';
import { loadStsVectors } from './vectors.js';

const KEY = '6ff35b9d1f3453e6';
const NOW = Date.UTC(2025, 5, 1);
const vectors = loadStsVectors().dkga02_ea07.tokens;
const byName = (s: string) => vectors.find((v) => v.source_test.includes(s))!;
const ELEC_01 = byName('CTSA01.step1').token; // 0.1 kWh, 2004-03-01T13:55Z
const ELEC_1 = byName('Nectar_1 (elec)').token; // 1 kWh, 2004-04-21T10:01Z
const WATER = byName('CTSA01.step3').token;
const TEST_TOKEN = loadStsVectors().class1_cleartext[0]!.token;

const energy = (token: string, memory?: unknown, more: Partial<StsAcceptInput> = {}): StsAcceptResult =>
  acceptStsToken({ token, decoderKey: KEY, baseDate: 1993, memory, now: NOW, creditUnit: 'energy', ...more });

function ok(t: { fail(m: string): void }, r: StsAcceptResult): Extract<StsAcceptResult, { ok: true }> {
  if (!r.ok) throw new Error(`refused: ${r.reason} ${r.message}`);
  return r;
}

const minute = (iso: string) => new Date(iso);
const credit = (issuedAt: string, amountTenths: number, subclass = 0, baseDate: 1993 | 2014 = 1993) =>
  encodeToken({ class: 0, subclass, random: 3, issuedAt: minute(issuedAt), amountTenths } as StsEncodeInput, KEY, { baseDate });
const management = (issuedAt: string, subclass: 1 | 5 | 0, value: number) =>
  encodeToken({ class: 2, subclass, random: 1, issuedAt: minute(issuedAt), value }, KEY, { baseDate: 1993 });

test('electricity tokens credit an energy account in exact Wh (0.1 kWh = 100 Wh)', (t) => {
  const a = ok(t, energy(ELEC_01));
  t.deepEqual(a.effect, { kind: 'credit', subunits: 100, subclass: 0, service: 'electricity', amountTenths: 1 });
  t.is(a.tid, 0x599863);
  t.is(a.issuedAt, Date.parse('2004-03-01T13:55:00Z'));
  t.deepEqual(a.memory, { v: 1, baseDate: 1993, tids: [0x599863], updatedAt: NOW });
  const b = ok(t, energy(ELEC_1, a.memory));
  t.is((b.effect as { subunits: number }).subunits, 1000);
  t.deepEqual((b.memory as { tids: number[] }).tids, [0x599863, 0x5ab659]);
  // 16383.4 kWh, the largest exponent-1 amount: still exact.
  const big = ok(t, energy(credit('2020-01-01T00:00:00Z', 163_834)));
  t.is((big.effect as { subunits: number }).subunits, 16_383_400);
});

test('accepted once: the same token twice is refused, and the refusal changes nothing', (t) => {
  const first = ok(t, energy(ELEC_1));
  const again = energy(ELEC_1, first.memory);
  t.like(again, { ok: false, reason: 'E_TOKEN_USED' });
  t.regex((again as { message: string }).message, /TID 5944921 \(issued 2004-04-21T10:01:00.000Z\) was already accepted/);
});

test('memory survives a JSON round trip (as the ledger stores it) and still refuses the replay', (t) => {
  let memory: unknown;
  for (const token of [ELEC_01, ELEC_1]) memory = JSON.parse(JSON.stringify(ok(t, energy(token, memory)).memory));
  t.like(energy(ELEC_01, memory), { ok: false, reason: 'E_TOKEN_USED' });
  t.like(energy(ELEC_1, memory), { ok: false, reason: 'E_TOKEN_USED' });
  t.true(energy(credit('2010-01-01T00:00:00Z', 10), memory).ok);
});

test('older than the oldest TID of a full memory is refused (capacity 50, the default)', (t) => {
  let memory: unknown;
  for (let i = 1; i <= 50; i++) memory = ok(t, energy(credit(`2010-01-${String(i % 28 + 1).padStart(2, '0')}T${String(Math.floor(i / 28)).padStart(2, '0')}:00:00Z`, i), memory)).memory;
  t.is((memory as { tids: number[] }).tids.length, 50);
  const r = energy(credit('2009-12-31T23:59:00Z', 5), memory);
  t.like(r, { ok: false, reason: 'E_TOKEN_OLD' });
  t.regex((r as { message: string }).message, /older than the 50 TIDs remembered/);
  // A newer one still goes in, and pushes the oldest out.
  const newer = ok(t, energy(credit('2011-01-01T00:00:00Z', 5), memory));
  t.is((newer.memory as { tids: number[] }).tids.length, 50);
});

test('with a smaller memory, an older token is accepted until it is full, then refused', (t) => {
  const small = { tidCapacity: 2 };
  const a = ok(t, energy(credit('2010-01-02T00:00:00Z', 1), undefined, small));
  const b = ok(t, energy(credit('2010-01-01T00:00:00Z', 1), a.memory, small)); // older, memory not full: accepted
  t.like(energy(credit('2009-01-01T00:00:00Z', 1), b.memory, small), { ok: false, reason: 'E_TOKEN_OLD' });
});

test('class 1 test tokens never change memory nor credit', (t) => {
  const memory = ok(t, energy(ELEC_01)).memory;
  const before = JSON.stringify(memory);
  const r = ok(t, energy(TEST_TOKEN, memory));
  t.deepEqual(r.effect, { kind: 'test', subclass: 0, control: 'fffffffff', manufacturerCode: 0 });
  t.is(r.memory, memory);
  t.is(JSON.stringify(r.memory), before);
  t.is(r.tid, null);
  t.is(r.issuedAt, null);
  // and may be entered again
  t.true(energy(TEST_TOKEN, r.memory).ok);
});

test('clear credit: all registers, or the account\'s own; another register is refused without using the TID', (t) => {
  const all = ok(t, energy(management('2010-03-01T00:00:00Z', 1, 0xffff)));
  t.deepEqual(all.effect, { kind: 'clear-credit', register: 'all' });
  t.deepEqual((all.memory as { tids: number[] }).tids, [all.tid]);
  t.deepEqual(ok(t, energy(management('2010-03-02T00:00:00Z', 1, 0))).effect, { kind: 'clear-credit', register: 'electricity' });
  const currencyAccount = { creditUnit: 'currency' as const, subunitsPerUnit: 100 };
  t.deepEqual(ok(t, energy(management('2010-03-02T00:00:00Z', 1, 4), undefined, currencyAccount)).effect, { kind: 'clear-credit', register: 'currency' });
  const water = energy(management('2010-03-03T00:00:00Z', 1, 1), all.memory);
  t.like(water, { ok: false, reason: 'E_TOKEN_UNSUPPORTED' });
  t.regex((water as { message: string }).message, /water register/);
});

test('clear tamper is accepted once', (t) => {
  const token = management('2010-04-01T00:00:00Z', 5, 0);
  const r = ok(t, energy(token));
  t.deepEqual(r.effect, { kind: 'clear-tamper' });
  t.like(energy(token, r.memory), { ok: false, reason: 'E_TOKEN_USED' });
});

test('currency tokens: sub-units on a currency account, refused on an energy account', (t) => {
  const token = credit('2012-01-01T00:00:00Z', 256, 4); // 25.6 units
  const cur = { creditUnit: 'currency' as const, subunitsPerUnit: 1000 };
  t.deepEqual(ok(t, energy(token, undefined, cur)).effect, { kind: 'credit', subunits: 25_600, subclass: 4, service: 'currency', amountTenths: 256 });
  t.like(energy(token), { ok: false, reason: 'E_TOKEN_UNSUPPORTED' });
  // A tenth of a unit cannot be held by an account counting whole units: refused, not rounded away.
  t.like(energy(credit('2012-01-01T00:00:00Z', 1, 4), undefined, { creditUnit: 'currency', subunitsPerUnit: 1 }), { ok: false, reason: 'E_TOKEN_UNSUPPORTED' });
  t.throws(() => energy(token, undefined, { creditUnit: 'currency' }), { instanceOf: PrepaidError, message: /subunitsPerUnit is required/ });
});

test('a kWh token on a currency account is refused unless a kWh price is configured', (t) => {
  const r = energy(ELEC_1, undefined, { creditUnit: 'currency', subunitsPerUnit: 100 });
  t.like(r, { ok: false, reason: 'E_TOKEN_UNSUPPORTED' });
  t.regex((r as { message: string }).message, /1 kWh.*currency account/);
  const priced = ok(t, energy(ELEC_01, undefined, { creditUnit: 'currency', subunitsPerUnit: 1000, kwhOnCurrency: { subunitsPerKwh: 1555 } }));
  t.is((priced.effect as { subunits: number }).subunits, 155); // floor(0.1 x 1555)
});

test('water, gas and time credit and other management tokens are E_TOKEN_UNSUPPORTED and use no TID', (t) => {
  t.like(energy(WATER), { ok: false, reason: 'E_TOKEN_UNSUPPORTED' });
  t.like(energy(credit('2012-01-01T00:00:00Z', 10, 3)), { ok: false, reason: 'E_TOKEN_UNSUPPORTED' });
  t.like(energy(management('2012-01-01T00:00:00Z', 0, 100)), { ok: false, reason: 'E_TOKEN_UNSUPPORTED' });
});

test('wrong key or mistyped digit -> E_TOKEN_CRC; malformed -> E_TOKEN_FORMAT', (t) => {
  t.like(acceptStsToken({ token: ELEC_1, decoderKey: Buffer.from('c293992e262340e9', 'hex'), baseDate: 1993, memory: undefined, now: NOW, creditUnit: 'energy' }), {
    ok: false,
    reason: 'E_TOKEN_CRC',
  });
  t.like(energy(ELEC_1.slice(0, 19) + ((Number(ELEC_1[19]) + 1) % 10)), { ok: false, reason: 'E_TOKEN_CRC' });
  t.like(energy(ELEC_1.slice(2)), { ok: false, reason: 'E_TOKEN_FORMAT' });
  t.like(energy('99999999999999999999'), { ok: false, reason: 'E_TOKEN_FORMAT' });
});

test('base date 2014: issue times read against 2014; a memory of the 1993 key revision starts afresh', (t) => {
  const old = ok(t, energy(ELEC_1)).memory;
  const token = credit('2025-05-31T12:34:00Z', 50, 0, 2014);
  const r = ok(t, energy(token, old, { baseDate: 2014 }));
  t.is(r.issuedAt, Date.parse('2025-05-31T12:34:00Z'));
  t.deepEqual(r.memory, { v: 1, baseDate: 2014, tids: [r.tid], updatedAt: NOW });
});

test('bad settings and damaged memory throw instead of refusing the token', (t) => {
  t.throws(() => acceptStsToken({ token: ELEC_1, decoderKey: 'xyz', baseDate: 1993, memory: undefined, now: NOW, creditUnit: 'energy' }), { instanceOf: PrepaidError, message: /key/ });
  for (const memory of [[1, 2], { v: 2, baseDate: 1993, tids: [], updatedAt: null }, { v: 1, baseDate: 1993, tids: [-1], updatedAt: null }, { v: 1, baseDate: 2000, tids: [], updatedAt: null }]) {
    const e = t.throws(() => energy(ELEC_1, memory), { instanceOf: PrepaidError });
    t.regex(e!.context.path as string, /^memory\./);
  }
  t.throws(() => energy(ELEC_1, undefined, { subunitsPerUnit: 0 }), { message: /subunitsPerUnit must be a positive integer/ });
});
