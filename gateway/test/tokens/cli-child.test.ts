/**
 * The real `prepaid-gateway token ...` in child processes, one at a time (each costs ~0.7 s of
 * start-up), on a representative subset; every vector, every bad input and the help of every
 * subcommand go through the same commander wiring in-process (sts-cli / openpaygo-cli tests).
 */
import test from 'ava';
import { json, runChild } from './run-cli.js';
import { loadOpenPaygoVectors, loadStsVectors } from './vectors.js';

const sts = loadStsVectors();
const opg = loadOpenPaygoVectors();

test.serial('sts derive-key, decode and encode print one line of JSON and exit 0', async (t) => {
  t.timeout(120_000);
  const c = sts.dkga02_ea07.common;
  const vec = sts.dkga02_ea07.tokens[0]!;
  const key = await runChild(['token', 'sts', 'derive-key', '--vending-key', c.vending_key_hex, '--pan', vec.meter_pan,
    '--sgc', c.supply_group_code, '--ti', c.tariff_index, '--krn', String(c.key_revision_number), '--kt', String(c.key_type)]);
  t.is(json(key).decoderKey, vec.decoder_key_hex);
  const dec = await runChild(['token', 'sts', 'decode', '--key', vec.decoder_key_hex, '--base-date', '1993', vec.token]);
  t.like(json(dec), { class: 0, subclass: 0, random: 5, tid: 0x599863, issuedAt: '2004-03-01T13:55:00.000Z', amount: 0.1, crc: '19e6' });
  const enc = await runChild(['token', 'sts', 'encode', '--key', vec.decoder_key_hex, '--class', '0', '--subclass', '0', '--amount', '0.1',
    '--issued-at', vec.issued_at_utc, '--random', '5']);
  t.is(json(enc).token, vec.token);
  for (const r of [key, dec, enc]) t.is(r.stderr, '');
});

test.serial('openpaygo decode of a restricted-digit vector prints JSON and exits 0', async (t) => {
  t.timeout(120_000);
  const v = opg.find((x) => x.restricted_digit_set && !x.extended_token && x.token_type === 'SET_TIME')!;
  const dec = await runChild(['token', 'openpaygo', 'decode', '--key', v.key, '--starting-code', String(v.starting_code),
    '--last-count', String(v.count), '--restricted-digits', v.token]);
  t.like(json(dec), { mode: 'set', value: v.value_raw, count: v.new_count });
});

test.serial('a bad digit exits 2 with one line on stderr and nothing on stdout; a replay exits 1', async (t) => {
  t.timeout(120_000);
  const digit = await runChild(['token', 'sts', 'decode', '--key', '6ff35b9d1f3453e6', '237161?0501183194197']);
  t.deepEqual(digit, { code: 2, stdout: '', stderr: 'prepaid-gateway: token digit 7: "?" is not a digit\n' });
  const v = opg[0]!;
  const replay = await runChild(['token', 'openpaygo', 'decode', '--key', v.key, '--starting-code', String(v.starting_code),
    '--last-count', String(v.new_count), '--used-counts', String(v.new_count), v.token]);
  t.deepEqual(replay, { code: 1, stdout: '', stderr: 'prepaid-gateway: token: refused, token was already used (count 2) (E_TOKEN_USED)\n' });
});
