/**
 * STS tokens as the meter takes them: the shared vectors (shared/vectors/sts, else protocols'
 * copy, loaded by @prepaid-edge/protocols/vectors) decoded with the decoder key DKGA-02 derives for the vectors' meter.
 */
import test from 'ava';
import fc from 'fast-check';
import { encodeToken, isPrepaidError } from '@prepaid-edge/protocols';
import { evaluateToken, type TokenContext } from '../src/index.js';
import { stsVectors, VECTORS_PAN, vectorsDecoderKey } from './helpers/rig.js';

const v = stsVectors();
const PAN = VECTORS_PAN;
const key = vectorsDecoderKey(v);
const ctx = (over: Partial<TokenContext> = {}): TokenContext => ({ decoderKey: key, baseDate: 1993, tids: [], importWh: 10_000, thresholdWh: 0, ...over });

test('the decoder key DKGA-02 gives for the vectors meter is the one the vectors were made with', (t) => {
  t.is(key, v.tokens.find((x) => x.meter_pan === PAN)!.decoder_key_hex);
});

test('every electricity credit vector adds its kWh to local credit; water and gas vectors are refused', (t) => {
  for (const tok of v.tokens.filter((x) => x.meter_pan === PAN)) {
    const out = evaluateToken(tok.token, ctx());
    if (tok.token_subclass === 0) {
      t.true(out.ok, tok.token);
      if (out.ok && out.kind === 'credit') {
        t.is(out.wh, Math.round(tok.amount_units * 1000));
        t.is(out.tid, parseInt(tok.tid_minutes_hex, 16));
        t.is(out.thresholdWh, 10_000 + out.wh, 'credit counts from the present energy when the threshold was off');
      }
    } else t.like(out, { ok: false, reason: 'wrong-service' }, tok.token);
  }
});

test('a token is accepted once; older than the oldest remembered is refused; another meter\'s token is invalid', (t) => {
  const first = v.tokens.find((x) => x.meter_pan === PAN && x.token_subclass === 0)!;
  const out = evaluateToken(first.token, ctx());
  t.true(out.ok);
  if (!out.ok || out.kind !== 'credit') return;
  t.like(evaluateToken(first.token, ctx({ tids: out.tids })), { ok: false, reason: 'used' });
  const full = Array.from({ length: 50 }, (_, i) => 0x700000 + i);
  t.like(evaluateToken(first.token, ctx({ tids: full })), { ok: false, reason: 'old' });
  const other = v.tokens.find((x) => x.meter_pan !== PAN)!;
  t.like(evaluateToken(other.token, ctx()), { ok: false, reason: 'invalid' });
  t.like(evaluateToken(first.token, ctx({ decoderKey: undefined })), { ok: false, reason: 'no-key' });
});

test('credit stacks on the threshold when it is ahead of the energy; class 1 test tokens need no key', (t) => {
  const elec = v.tokens.filter((x) => x.meter_pan === PAN && x.token_subclass === 0);
  const a = evaluateToken(elec[1]!.token, ctx({ thresholdWh: 12_345 }));
  t.like(a, { ok: true, kind: 'credit', thresholdWh: 12_345 + 1000 });
  for (const c1 of v.class1) t.like(evaluateToken(c1.token, ctx({ decoderKey: undefined })), { ok: true, kind: 'test' });
});

test('management tokens: clear tamper and clear credit are applied, the rest refused without using the TID', (t) => {
  const issuedAt = new Date(Date.UTC(2020, 0, 5, 10, 0)); // base date 1993 runs out in Nov 2024
  const clearTamper = encodeToken({ class: 2, subclass: 5, random: 3, issuedAt, value: 0 }, key, { baseDate: 1993 });
  t.like(evaluateToken(clearTamper, ctx()), { ok: true, kind: 'clearTamper' });
  const clearCredit = encodeToken({ class: 2, subclass: 1, random: 3, issuedAt, value: 0 }, key, { baseDate: 1993 });
  t.like(evaluateToken(clearCredit, ctx({ thresholdWh: 20_000 })), { ok: true, kind: 'clearCredit', thresholdWh: 10_000 });
  const tariff = encodeToken({ class: 2, subclass: 2, random: 3, issuedAt, value: 7 }, key, { baseDate: 1993 });
  t.like(evaluateToken(tariff, ctx()), { ok: false, reason: 'unsupported' });
});

test('fuzz: any typed text gives an outcome, never an exception', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{20}$/), fc.stringMatching(/^[0-9 -]{0,30}$/)), (s) => {
      try {
        const out = evaluateToken(s, ctx());
        return typeof out.ok === 'boolean';
      } catch (e) {
        return isPrepaidError(e) && false;
      }
    }),
    { numRuns: 500 },
  );
  t.pass();
});
