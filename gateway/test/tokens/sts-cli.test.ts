/** `token sts ...` in-process over every vector in shared/vectors/sts, and every bad-input message. */
import test from 'ava';
import { badInputTests, withOpt, type BadInput } from './bad-input.js';
import { json, runInProcess } from './run-cli.js';
import { loadStsVectors } from './vectors.js';

const v = loadStsVectors();
const common = v.dkga02_ea07.common;
const sts = (...args: string[]) => runInProcess(['token', 'sts', ...args]);

for (const [pan, key] of Object.entries(v.dkga02_ea07.derived_decoder_keys)) {
  test(`derive-key DKGA-02 for PAN ${pan}`, (t) => {
    const out = json(
      sts('derive-key', '--vending-key', common.vending_key_hex, '--pan', pan, '--sgc', common.supply_group_code,
        '--ti', common.tariff_index, '--krn', String(common.key_revision_number), '--kt', String(common.key_type)),
    );
    t.deepEqual(out, { decoderKey: key, panBlock: v.dkga02_ea07.pan_block_hex[pan], controlBlock: v.dkga02_ea07.control_block_hex });
  });
}

for (const vec of v.dkga02_ea07.tokens) {
  test(`decode and re-encode ${vec.source_test}`, (t) => {
    const out = json(sts('decode', '--key', vec.decoder_key_hex, vec.token));
    t.like(out, {
      class: vec.token_class,
      subclass: vec.token_subclass,
      kind: 'credit',
      random: vec.random_no,
      tid: parseInt(vec.tid_minutes_hex, 16),
      issuedAt: new Date(vec.issued_at_utc).toISOString(),
      amountRaw: parseInt(vec.amount_raw16_hex, 16),
      crc: vec.crc16_hex,
      baseDate: 1993,
    });
    // The vectors give the amount asked for; the token carries it rounded up to a representable one.
    t.true((out.amount as number) >= vec.amount_units && (out.amount as number) < vec.amount_units + 1);
    t.is(out.amountTenths, Math.round((out.amount as number) * 10));

    const enc = json(
      sts('encode', '--key', vec.decoder_key_hex, '--class', String(vec.token_class), '--subclass', String(vec.token_subclass),
        '--amount', String(vec.amount_units), '--issued-at', vec.issued_at_utc, '--random', String(vec.random_no)),
    );
    t.is(enc.token, vec.token);
    t.like(enc, { amountRaw: out.amountRaw, tid: out.tid, crc: vec.crc16_hex });
  });
}

for (const vec of v.class1_cleartext) {
  test(`decode and re-encode class 1 ${vec.source_test}`, (t) => {
    const block = BigInt(`0x${vec.plain_data_block_hex}`);
    const body = (block >> 16n) & ((1n << 44n) - 1n);
    const mfrBits = vec.token_subclass === 0 ? 8n : 16n;
    const control = (body >> mfrBits).toString(16);
    const manufacturerCode = Number(body & ((1n << mfrBits) - 1n));
    const out = json(sts('decode', vec.token)); // class 1 is sent in clear: no key
    t.deepEqual(out, { class: 1, subclass: vec.token_subclass, kind: 'test', body: body.toString(16), crc: vec.crc16_hex, control, manufacturerCode });
    const enc = json(sts('encode', '--class', '1', '--subclass', String(vec.token_subclass), '--control', control, '--manufacturer-code', String(manufacturerCode)));
    t.is(enc.token, vec.token);
  });
}

const KEY = '6ff35b9d1f3453e6';

test('round trip under base date 2014: credit, currency, clear credit, clear tamper', (t) => {
  const cases: Array<[string[], Record<string, unknown>]> = [
    [['--class', '0', '--subclass', '0', '--amount', '25.6'], { kind: 'credit', service: 'electricity', amount: 25.6, amountTenths: 256 }],
    [['--class', '0', '--subclass', '4', '--amount', '1638.4'], { kind: 'credit', service: 'currency', amount: 1638.4 }],
    [['--class', '0', '--subclass', '0', '--amount', '16383.3'], { kind: 'credit', amount: 16383.4 }], // rounded up
    [['--class', '2', '--subclass', '1', '--value', '65535'], { kind: 'clearCredit', register: 'all' }],
    [['--class', '2', '--subclass', '5', '--value', '0'], { kind: 'clearTamper' }],
  ];
  for (const [args, want] of cases) {
    const common2014 = ['--key', KEY, '--issued-at', '2025-06-30T23:59:59.999+02:00', '--random', '9', '--base-date', '2014'];
    const enc = json(sts('encode', ...args, ...common2014));
    t.like(enc, { ...want, issuedAt: '2025-06-30T21:59:00.000Z', random: 9, baseDate: 2014 }, args.join(' '));
    const dec = json(sts('decode', '--key', KEY, '--base-date', '2014', enc.token as string));
    const { token: _token, ...fields } = enc;
    t.deepEqual(dec, fields);
    // The same digits read under the other base date are 21 years earlier: the base date must match the meter.
    t.is(json(sts('decode', '--key', KEY, enc.token as string)).issuedAt, '2004-06-30T21:59:00.000Z');
  }
});

test('help on every subcommand', (t) => {
  for (const sub of [[], ['derive-key'], ['decode'], ['encode']]) {
    const r = sts(...sub, '--help');
    t.is(r.code, 0);
    t.regex(r.stdout, /^Usage: prepaid-gateway token sts/);
  }
});

const VEC = v.dkga02_ea07.tokens[0]!;
const derive = ['derive-key', '--vending-key', 'abababababababab', '--pan', '600727000000000009', '--sgc', '123456', '--ti', '01', '--krn', '1', '--kt', '2'];
const encode0 = ['encode', '--key', KEY, '--class', '0', '--subclass', '0', '--amount', '1', '--issued-at', '2004-03-01T13:55:00Z', '--random', '5'];

const bad: BadInput[] = [
  ['PAN too short', withOpt(derive, '--pan', '60072700000000000'), /^prepaid-gateway: --pan: .*18/],
  ['PAN check digit', withOpt(derive, '--pan', '600727000000000008'), /^prepaid-gateway: --pan: .*Luhn/],
  ['vending key not hex', withOpt(derive, '--vending-key', 'abababababababzz'), /^prepaid-gateway: --vending-key: .*16 hex/],
  ['SGC 5 digits', withOpt(derive, '--sgc', '12345'), /^prepaid-gateway: --sgc: .*6 digits/],
  ['TI 1 digit', withOpt(derive, '--ti', '1'), /^prepaid-gateway: --ti: .*2 digits/],
  ['KRN 0', withOpt(derive, '--krn', '0'), /^prepaid-gateway: --krn: .*1\.\.9/],
  ['KRN not a number', withOpt(derive, '--krn', 'one'), /^prepaid-gateway: --krn: must be a whole number, got "one"/],
  ['KT 4', withOpt(derive, '--kt', '4'), /^prepaid-gateway: --kt: .*0\.\.3/],
  ['missing --pan', derive.slice(0, 3).concat(derive.slice(5)), /required option '--pan <digits>'/],
  ['letter in token', ['decode', '--key', KEY, '2371 6100 5X11 8319 4197'], /^prepaid-gateway: token digit 10: "X" is not a digit/],
  ['19 digits', ['decode', '--key', KEY, VEC.token.slice(1)], /^prepaid-gateway: token: token must be 20 decimal digits \(E_TOKEN_FORMAT\)/],
  ['over 66 bits', ['decode', '--key', KEY, '99999999999999999999'], /^prepaid-gateway: token: .*66 bits/],
  ['mistyped digit', ['decode', '--key', KEY, VEC.token.replace(/^2/, '3')], /^prepaid-gateway: token: .*CRC.*\(E_TOKEN_CRC\)/],
  ['wrong key', ['decode', '--key', 'c293992e262340e9', VEC.token], /\(E_TOKEN_CRC\)/],
  ['no key for class 0', ['decode', VEC.token], /^prepaid-gateway: --key: class 0 tokens need a decoder key/],
  ['short key', ['decode', '--key', '6ff35b9d', VEC.token], /^prepaid-gateway: --key: .*16 hex/],
  ['base date not offered', ['decode', '--key', KEY, '--base-date', '2000', VEC.token], /'--base-date <year>' argument '2000' is invalid/],
  ['amount finer than tenths', withOpt(encode0, '--amount', '0.05'), /^prepaid-gateway: --amount: .*tenths/],
  ['amount not a number', withOpt(encode0, '--amount', '1e3'), /^prepaid-gateway: --amount: must be a decimal number/],
  ['amount too large', withOpt(encode0, '--amount', '2000000'), /^prepaid-gateway: --amount: /],
  ['random 16', withOpt(encode0, '--random', '16'), /^prepaid-gateway: --random: .*4 bits/],
  ['issued-at without zone', withOpt(encode0, '--issued-at', '2004-03-01T13:55:00'), /^prepaid-gateway: --issued-at: must be an ISO 8601 instant with a zone/],
  ['issued-at before the base date', withOpt(encode0, '--issued-at', '1992-12-31T23:59:00Z'), /^prepaid-gateway: --issued-at: .*TID range/],
  ['class 3', withOpt(encode0, '--class', '3'), /^prepaid-gateway: --class: must be 0, 1 or 2/],
  ['credit subclass 5', withOpt(encode0, '--subclass', '5'), /^prepaid-gateway: --subclass: .*0\.\.4/],
  ['class 0 without amount', encode0.slice(0, 7).concat(encode0.slice(9)), /^prepaid-gateway: --amount: is required for class 0 tokens/],
  ['--value on class 0', [...encode0, '--value', '1'], /^prepaid-gateway: --value: is not used by class 0 tokens/],
  ['class 2 without value', ['encode', '--key', KEY, '--class', '2', '--subclass', '5', '--issued-at', '2004-03-01T13:55:00Z', '--random', '5'], /^prepaid-gateway: --value: is required for class 2 tokens/],
  ['class 2 key change needs a body', ['encode', '--key', KEY, '--class', '2', '--subclass', '3', '--value', '1', '--issued-at', '2004-03-01T13:55:00Z', '--random', '5'], /^prepaid-gateway: --subclass: /],
  ['class 1 with --amount', ['encode', '--class', '1', '--subclass', '0', '--control', 'f', '--manufacturer-code', '0', '--amount', '1'], /^prepaid-gateway: --amount: is not used by class 1 tokens/],
  ['class 1 control too wide', ['encode', '--class', '1', '--subclass', '1', '--control', 'fffffffff', '--manufacturer-code', '0'], /^prepaid-gateway: --control: .*28 bits/],
  ['control not hex', ['encode', '--class', '1', '--subclass', '0', '--control', 'xyz', '--manufacturer-code', '0'], /^prepaid-gateway: --control: must be hexadecimal/],
  ['encode class 0 without key', encode0.slice(0, 1).concat(encode0.slice(3)), /^prepaid-gateway: --key: class 0 tokens need a decoder key/],
];
badInputTests(sts, bad);
