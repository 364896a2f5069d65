/** `token openpaygo ...` in-process over every vector in shared/vectors/openpaygo, and every bad-input message. */
import test from 'ava';
import { modeOf } from '../../src/adapters/tokens/openpaygo-modes.js';
import { badInputTests, withOpt, type BadInput } from './bad-input.js';
import { json, runInProcess } from './run-cli.js';
import { loadOpenPaygoVectors, type OpenPaygoVector } from './vectors.js';

const vectors = loadOpenPaygoVectors();
const opg = (...args: string[]) => runInProcess(['token', 'openpaygo', ...args]);
const flags = (v: OpenPaygoVector) => [...(v.restricted_digit_set ? ['--restricted-digits'] : []), ...(v.extended_token ? ['--extended'] : [])];

test('the vector file has the 80 upstream rows', (t) => {
  t.is(vectors.length, 80);
});

vectors.forEach((v, i) => {
  const mode = modeOf(v.token_type);
  const name = `#${i + 1} ${v.serial_number} count ${v.count} ${mode} ${v.value_raw ?? ''}${v.restricted_digit_set ? ' restricted' : ''}${v.extended_token ? ' extended' : ''}`;
  test(`vector ${name}: encode matches, decode gives it back, a second entry is refused`, (t) => {
    const device = ['--key', v.key, '--starting-code', String(v.starting_code)];
    const value = v.value_raw === null ? [] : ['--value', String(v.value_raw)];
    const enc = json(opg('encode', ...device, '--count', String(v.count), '--mode', mode, ...value, ...flags(v)));
    t.deepEqual(enc, { token: v.token, newCount: v.new_count, mode, type: v.token_type, value: v.value_raw });

    // Decode infers the form from the length; the flags only narrow it.
    const dec = json(opg('decode', ...device, '--last-count', String(v.count), v.token));
    t.like(dec, { mode, type: v.token_type, value: v.value_raw, count: v.new_count, lastCount: v.new_count });
    t.true((dec.usedCounts as number[]).includes(v.new_count));
    t.deepEqual(json(opg('decode', ...device, '--last-count', String(v.count), ...flags(v), v.token)), dec);

    const again = opg('decode', ...device, '--last-count', String(dec.lastCount), '--used-counts', (dec.usedCounts as number[]).join(','), v.token);
    t.is(again.code, 1);
    t.is(again.stdout, '');
    t.regex(again.stderr, /^prepaid-gateway: token: refused, token was already used \(count \d+\) \(E_TOKEN_USED\)\n$/);
  });
});

const V = vectors[0]!;
const device = ['--key', V.key, '--starting-code', String(V.starting_code)];

test('an add-time token 16 counts behind is refused as too old (exit 1)', (t) => {
  const r = opg('decode', ...device, '--last-count', String(V.new_count + 16), V.token);
  t.is(r.code, 1);
  t.regex(r.stderr, /^prepaid-gateway: token: refused, token is older than the device accepts \(count 2\) \(E_TOKEN_OLD\)/);
});

test('help on every subcommand', (t) => {
  for (const sub of [[], ['encode'], ['decode']]) {
    const r = opg(...sub, '--help');
    t.is(r.code, 0);
    t.regex(r.stdout, /^Usage: prepaid-gateway token openpaygo/);
  }
});

const encode = ['encode', ...device, '--count', '1', '--value', '7'];
const decode = (token: string, ...more: string[]) => ['decode', ...device, '--last-count', '1', ...more, token];

const bad: BadInput[] = [
  ['key too short', withOpt(encode, '--key', 'bc41ec95'), /^prepaid-gateway: --key: .*32 hex/],
  ['starting code of 10 digits', withOpt(encode, '--starting-code', '1000000000'), /^prepaid-gateway: --starting-code: .*0\.\.999999999/],
  ['starting code negative', withOpt(encode, '--starting-code', '-1'), /^prepaid-gateway: --starting-code: must be a whole number, got "-1"/],
  ['count past uint16', withOpt(encode, '--count', '70000'), /^prepaid-gateway: --count: .*0\.\.65535/],
  ['996 days in a standard token', withOpt(encode, '--value', '996'), /^prepaid-gateway: --value: .*0\.\.995/],
  ['998 days in an extended token', [...withOpt(encode, '--value', '998'), '--extended'], /^prepaid-gateway: --value: value 998 is reserved/],
  ['add without value', encode.slice(0, -2), /^prepaid-gateway: --value: is required for --mode add/],
  ['unlock with a value', [...encode, '--mode', 'unlock'], /^prepaid-gateway: --value: is not used by --mode unlock/],
  ['unknown mode', [...encode, '--mode', 'forever'], /'--mode <mode>' argument 'forever' is invalid/],
  ['missing --count', encode.filter((_, i) => i !== 5 && i !== 6), /required option '--count <n>'/],
  ['letter in token', decode('58822x011'), /^prepaid-gateway: token digit 6: "x" is not a digit\n/],
  ['hyphen in token', decode('588-224-011'), /^prepaid-gateway: token digit 4: "-" is not a digit\n/],
  ['digit 5 in a restricted token', decode('314114432251134', '--restricted-digits'), /^prepaid-gateway: token digit 11: "5" is not a digit 1-4/],
  ['restricted digits, inferred from 15 digits', decode('314114432251134'), /^prepaid-gateway: token digit 11: .*1-4 \(E_TOKEN_FORMAT\)/],
  ['10 digits', decode('5882240110'), /^prepaid-gateway: token: token has 10 digits, expected 9 or 12 or 15 or 20 \(E_TOKEN_FORMAT\)/],
  ['9 digits with --extended', decode(V.token, '--extended'), /^prepaid-gateway: token: token has 9 digits, expected 12 or 20/],
  ['mistyped digit', decode('588224012'), /^prepaid-gateway: token: token matches no count in the search window \(E_TOKEN_CRC\)/],
  ['used counts not numbers', decode(V.token, '--used-counts', '2,x'), /^prepaid-gateway: --used-counts: item 2 must be a whole number, got "x"/],
  ['used count past uint16', decode(V.token, '--used-counts', '2,70000'), /^prepaid-gateway: --used-counts: usedCounts\[1\] must be an integer/],
];
badInputTests(opg, bad);
