/** parseCommand: every command type, every rejection reason, and the order of the checks. */
import test from 'ava';
import { parseCommand, type CommandContext, type ParseResult } from '../../src/core/commands/envelope.js';
import { signCommand } from '../../src/core/commands/keys.js';
import { commandTopics, rejectionOutcome, resultPayload } from '../../src/core/commands/results.js';
import { ctx, NOW, otherKey, signed, topupFields, utilityKey } from './fixtures.js';

const ID = 'c0ffee00-0000-4000-8000-000000000001';
const base = { id: ID, issuedAt: NOW - 1000, expiresAt: NOW + 3_600_000 };
const tariff = { id: 'res-2025', creditUnit: 'currency', currency: 'CNY', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 528 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
const policy = { id: 'res', lowCreditThresholds: [30000, 10000] };

const VALID: [string, Record<string, unknown>][] = [
  ['topup, currency account', { ...base, type: 'topup', meter: 'm1', amount: 5000, currency: 'CNY' }],
  ['topup, energy account (Wh)', { ...base, type: 'topup', meter: 'm2', amount: 20000, currency: 'energy' }],
  ['topup with note', { ...base, type: 'topup', meter: 'm1', amount: 1, currency: 'CNY', note: 'counter 4, receipt 881' }],
  ['tariff for a meter', { ...base, type: 'tariff', meter: 'm1', tariff, activeFrom: NOW + 86_400_000 }],
  ['tariff for a class', { ...base, type: 'tariff', customerClass: 'residential', tariff, activeFrom: NOW }],
  ['policy for a class', { ...base, type: 'policy', customerClass: 'residential', policy, activeFrom: NOW }],
  ['relay-override disconnected', { ...base, type: 'relay-override', meter: 'm1', state: 'disconnected', until: NOW + 7_200_000 }],
  ['relay-override connected', { ...base, type: 'relay-override', meter: 'm1', state: 'connected', until: NOW + 60_000 }],
  ['relay-override auto', { ...base, type: 'relay-override', meter: 'm1', state: 'auto' }],
  ['token sts', { ...base, type: 'token', meter: 'm1', scheme: 'sts', token: '12345678901234567890' }],
  ['token openpaygo', { ...base, type: 'token', meter: 'm1', scheme: 'openpaygo', token: '123456789' }],
  ['emergency-credit', { ...base, type: 'emergency-credit', meter: 'm2' }],
];

for (const [name, fields] of VALID) {
  test(`valid: ${name}`, (t) => {
    const r = parseCommand(signed(fields), ctx());
    if (!r.ok) return t.fail(`${r.reason}: ${r.message}`);
    t.like(r.command, { ...fields, keyId: 'utility-1' });
    t.false('sig' in r.command, 'the command has no sig; the envelope keeps it for the audit trail');
    t.is(typeof r.envelope.sig, 'string');
  });
}

test('valid top-up: exactly the typed command, from a string or a Buffer', (t) => {
  const raw = signed(topupFields());
  const r = parseCommand(Buffer.from(raw), ctx());
  t.deepEqual(r.ok && r.command, { id: ID, type: 'topup', meter: 'm1', amount: 5000, currency: 'CNY', issuedAt: NOW - 1000, expiresAt: NOW + 3_600_000, keyId: 'utility-1' });
  t.deepEqual(parseCommand(raw, ctx()), r);
});

interface Rejection {
  name: string;
  raw: string;
  reason: string;
  message: RegExp;
  id?: string | null;
  ctx?: Partial<CommandContext>;
}

/** A signed top-up with these fields changed (undefined deletes), signed after the change. */
const topup = (over: Record<string, unknown>) => signed(strip(topupFields(over)));
const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
/** Signed, then a field changed: the signature no longer covers what arrives. */
const tampered = (over: Record<string, unknown>) => JSON.stringify({ ...(JSON.parse(signed(topupFields())) as object), ...over });

const REJECTIONS: Rejection[] = [
  // 1. size, JSON
  { name: 'over 16 KiB', raw: topup({ note: 'x'.repeat(16 * 1024) }), reason: 'E_COMMAND_MALFORMED', message: /^command: \d+ bytes exceeds the 16384-byte limit$/, id: null },
  { name: 'not JSON', raw: '{"id":', reason: 'E_COMMAND_MALFORMED', message: /^command: not valid JSON/, id: null },
  { name: 'a JSON array', raw: '[1]', reason: 'E_COMMAND_MALFORMED', message: /^command: must be a JSON object$/, id: null },
  { name: 'a number beyond double range', raw: topup({}).replace('"amount":5000', '"amount":1e400'), reason: 'E_COMMAND_MALFORMED', message: /^amount: Infinity is not a JSON number/ },
  { name: 'a lone surrogate', raw: topup({ note: 'x' }).replace('"note":"x"', '"note":"\\ud800"'), reason: 'E_COMMAND_MALFORMED', message: /^note: string holds a lone UTF-16 surrogate/ },
  // 2. shape
  { name: 'id missing', raw: topup({ id: undefined }), reason: 'E_COMMAND_MALFORMED', message: /^id: missing$/, id: null },
  { name: 'id not a string', raw: topup({ id: 7 }), reason: 'E_COMMAND_MALFORMED', message: /^id: must be a non-empty string/, id: null },
  { name: 'type missing', raw: topup({ type: undefined }), reason: 'E_COMMAND_MALFORMED', message: /^type: missing$/ },
  { name: 'unknown type', raw: topup({ type: 'reboot' }), reason: 'E_COMMAND_UNKNOWN_TYPE', message: /^type: "reboot" is not one of topup, tariff, policy/ },
  { name: 'issuedAt a string', raw: topup({ issuedAt: '2025-06-01' }), reason: 'E_COMMAND_MALFORMED', message: /^issuedAt: must be an integer epoch time in milliseconds$/ },
  { name: 'expiresAt fractional', raw: topup({ expiresAt: NOW + 0.5 }), reason: 'E_COMMAND_MALFORMED', message: /^expiresAt: must be an integer epoch time/ },
  { name: 'keyId missing', raw: JSON.stringify({ ...(JSON.parse(topup({})) as object), keyId: undefined }), reason: 'E_COMMAND_MALFORMED', message: /^keyId: missing$/ },
  { name: 'sig missing', raw: JSON.stringify({ ...(JSON.parse(topup({})) as object), sig: undefined }), reason: 'E_COMMAND_MALFORMED', message: /^sig: missing$/ },
  { name: 'sig not base64', raw: tampered({ sig: 'not a signature' }), reason: 'E_COMMAND_MALFORMED', message: /^sig: must be the base64url \(or base64\) of a 64-byte Ed25519 signature$/ },
  { name: 'sig 32 bytes', raw: tampered({ sig: Buffer.alloc(32).toString('base64url') }), reason: 'E_COMMAND_MALFORMED', message: /^sig: must be the base64url/ },
  { name: 'unknown field (typo)', raw: topup({ ammount: 5000 }), reason: 'E_COMMAND_MALFORMED', message: /^ammount: unknown field for type topup/ },
  { name: 'amount zero', raw: topup({ amount: 0 }), reason: 'E_COMMAND_MALFORMED', message: /^amount: must be a positive integer$/ },
  { name: 'amount negative', raw: topup({ amount: -5000 }), reason: 'E_COMMAND_MALFORMED', message: /^amount: must be a positive integer$/ },
  { name: 'amount fractional', raw: topup({ amount: 50.5 }), reason: 'E_COMMAND_MALFORMED', message: /^amount: must be a positive integer$/ },
  { name: 'amount a string', raw: topup({ amount: '5000' }), reason: 'E_COMMAND_MALFORMED', message: /^amount: must be a positive integer$/ },
  { name: 'amount beyond 2^53', raw: topup({ amount: 2 ** 53 }), reason: 'E_COMMAND_MALFORMED', message: /^amount: must be a positive integer$/ },
  { name: 'amount missing', raw: topup({ amount: undefined }), reason: 'E_COMMAND_MALFORMED', message: /^amount: missing$/ },
  { name: 'meter missing', raw: topup({ meter: undefined }), reason: 'E_COMMAND_MALFORMED', message: /^meter: missing$/ },
  { name: 'meter empty', raw: topup({ meter: '' }), reason: 'E_COMMAND_MALFORMED', message: /^meter: must be a non-empty string/ },
  { name: 'currency lower case', raw: topup({ currency: 'cny' }), reason: 'E_COMMAND_MALFORMED', message: /^currency: must be an ISO 4217 code \(e\.g\. CNY\) or 'energy'$/ },
  { name: 'note too long', raw: topup({ note: 'n'.repeat(513) }), reason: 'E_COMMAND_MALFORMED', message: /^note: must be a string of at most 512 characters$/ },
  { name: 'tariff with meter and class', raw: signed({ ...base, type: 'tariff', meter: 'm1', customerClass: 'r', tariff, activeFrom: NOW }), reason: 'E_COMMAND_MALFORMED', message: /^meter: exactly one of meter or customerClass/ },
  { name: 'tariff with no target', raw: signed({ ...base, type: 'tariff', tariff, activeFrom: NOW }), reason: 'E_COMMAND_MALFORMED', message: /^meter: exactly one of meter or customerClass/ },
  { name: 'tariff not an object', raw: signed({ ...base, type: 'tariff', meter: 'm1', tariff: [tariff], activeFrom: NOW }), reason: 'E_COMMAND_MALFORMED', message: /^tariff: must be an object$/ },
  { name: 'tariff activeFrom missing', raw: signed({ ...base, type: 'tariff', meter: 'm1', tariff }), reason: 'E_COMMAND_MALFORMED', message: /^activeFrom: missing$/ },
  {
    name: 'tariff failing its schema',
    raw: signed({ ...base, type: 'tariff', meter: 'm1', tariff, activeFrom: NOW }),
    ctx: { validateTariff: (v) => ((v as typeof tariff).periods[0]!.pricePerKwh === 528 ? 'periods[0].pricePerKwh: must be <= 500' : null) },
    reason: 'E_COMMAND_MALFORMED',
    message: /^tariff\.periods\[0\]\.pricePerKwh: must be <= 500$/,
  },
  { name: 'policy without class', raw: signed({ ...base, type: 'policy', policy, activeFrom: NOW }), reason: 'E_COMMAND_MALFORMED', message: /^customerClass: missing$/ },
  { name: 'policy for a meter', raw: signed({ ...base, type: 'policy', meter: 'm1', customerClass: 'r', policy, activeFrom: NOW }), reason: 'E_COMMAND_MALFORMED', message: /^meter: unknown field for type policy/ },
  {
    name: 'policy failing its schema',
    raw: signed({ ...base, type: 'policy', customerClass: 'r', policy, activeFrom: NOW }),
    ctx: { validatePolicy: () => 'lowCreditThresholds: must have at least 2 items' },
    reason: 'E_COMMAND_MALFORMED',
    message: /^policy\.lowCreditThresholds: must have at least 2 items$/,
  },
  { name: 'relay state unknown', raw: signed({ ...base, type: 'relay-override', meter: 'm1', state: 'off', until: NOW + 1 }), reason: 'E_COMMAND_MALFORMED', message: /^state: must be one of connected, disconnected, auto$/ },
  { name: 'relay without until', raw: signed({ ...base, type: 'relay-override', meter: 'm1', state: 'disconnected' }), reason: 'E_COMMAND_MALFORMED', message: /^until: missing$/ },
  { name: 'relay until before issuedAt', raw: signed({ ...base, type: 'relay-override', meter: 'm1', state: 'connected', until: base.issuedAt }), reason: 'E_COMMAND_MALFORMED', message: /^until: must be after issuedAt$/ },
  { name: 'relay auto with until', raw: signed({ ...base, type: 'relay-override', meter: 'm1', state: 'auto', until: NOW + 1 }), reason: 'E_COMMAND_MALFORMED', message: /^until: not allowed with state 'auto'/ },
  { name: 'sts token of 19 digits', raw: signed({ ...base, type: 'token', meter: 'm1', scheme: 'sts', token: '1234567890123456789' }), reason: 'E_COMMAND_MALFORMED', message: /^token: must be 20 digits$/ },
  { name: 'openpaygo token of 10 digits', raw: signed({ ...base, type: 'token', meter: 'm1', scheme: 'openpaygo', token: '1234567890' }), reason: 'E_COMMAND_MALFORMED', message: /^token: must be 9, 12, 15 or 20 digits$/ },
  { name: 'token with spaces', raw: signed({ ...base, type: 'token', meter: 'm1', scheme: 'sts', token: '1234 5678 9012 3456 7890' }), reason: 'E_COMMAND_MALFORMED', message: /^token: must be 20 digits$/ },
  { name: 'token scheme unknown', raw: signed({ ...base, type: 'token', meter: 'm1', scheme: 'dlms', token: '1' }), reason: 'E_COMMAND_MALFORMED', message: /^scheme: must be one of sts, openpaygo$/ },
  { name: 'emergency-credit with amount', raw: signed({ ...base, type: 'emergency-credit', meter: 'm1', amount: 5 }), reason: 'E_COMMAND_MALFORMED', message: /^amount: unknown field for type emergency-credit/ },
  // 3. key, 4. signature
  { name: 'unknown key', raw: signed(topupFields(), utilityKey, 'utility-9'), reason: 'E_COMMAND_UNKNOWN_KEY', message: /^keyId: no key "utility-9" in this gateway's configuration$/ },
  { name: 'tampered amount', raw: tampered({ amount: 500000 }), reason: 'E_COMMAND_SIGNATURE', message: /^sig: does not verify against key "utility-1"$/ },
  { name: 'tampered meter', raw: tampered({ meter: 'm2' }), reason: 'E_COMMAND_SIGNATURE', message: /^sig: does not verify/ },
  { name: 'tampered expiresAt', raw: tampered({ expiresAt: NOW + 7_200_000 }), reason: 'E_COMMAND_SIGNATURE', message: /^sig: does not verify/ },
  { name: 'field added after signing', raw: tampered({ note: 'hi' }), reason: 'E_COMMAND_SIGNATURE', message: /^sig: does not verify/ },
  { name: 'keyId swapped to another configured key', raw: tampered({ keyId: 'utility-2' }), reason: 'E_COMMAND_SIGNATURE', message: /^sig: does not verify against key "utility-2"$/ },
  { name: 'signed by another key under this keyId', raw: signed(topupFields(), otherKey, 'utility-1'), reason: 'E_COMMAND_SIGNATURE', message: /^sig: does not verify against key "utility-1"$/ },
  // 5. validity window
  { name: 'expiresAt before issuedAt', raw: topup({ expiresAt: NOW - 2000 }), reason: 'E_COMMAND_EXPIRED', message: /^expiresAt: must be after issuedAt$/ },
  { name: 'window over 7 days', raw: topup({ expiresAt: NOW - 1000 + 7 * 86_400_000 + 1 }), reason: 'E_COMMAND_EXPIRED', message: /^expiresAt: validity window of 604800001 ms exceeds the 604800000 ms maximum$/ },
  { name: 'window over a configured 1 h', raw: topup({ expiresAt: NOW + 3_600_000 }), ctx: { maxWindowMs: 3_600_000 }, reason: 'E_COMMAND_EXPIRED', message: /^expiresAt: validity window/ },
  {
    name: 'expired beyond the skew',
    raw: topup({ issuedAt: NOW - 7_200_000, expiresAt: NOW - 300_000 }),
    reason: 'E_COMMAND_EXPIRED',
    message: /^expiresAt: expired at 2025-06-01T11:55:00\.000Z \(gateway time 2025-06-01T12:00:00\.000Z, skew allowance 300000 ms\)$/,
  },
  { name: 'issued in the future beyond the skew', raw: topup({ issuedAt: NOW + 300_001, expiresAt: NOW + 3_600_000 }), reason: 'E_COMMAND_EXPIRED', message: /^issuedAt: 2025-06-01T12:05:00\.001Z is in the future/ },
  // 6. meter, 7. amount
  { name: 'unknown meter', raw: topup({ meter: 'm9' }), reason: 'E_COMMAND_UNKNOWN_METER', message: /^meter: no account for "m9" on this gateway$/ },
  { name: 'unknown meter (relay)', raw: signed({ ...base, type: 'relay-override', meter: 'm9', state: 'auto' }), reason: 'E_COMMAND_UNKNOWN_METER', message: /^meter: no account for "m9"/ },
  { name: 'unknown meter (tariff)', raw: signed({ ...base, type: 'tariff', meter: 'm9', tariff, activeFrom: NOW }), reason: 'E_COMMAND_UNKNOWN_METER', message: /^meter: no account for "m9"/ },
  { name: 'currency of another account', raw: topup({ currency: 'USD' }), reason: 'E_COMMAND_AMOUNT', message: /^currency: USD does not match the account of m1 \(CNY\)$/ },
  { name: 'money to an energy account', raw: topup({ meter: 'm2' }), reason: 'E_COMMAND_AMOUNT', message: /^currency: CNY does not match the account of m2 \(energy\)$/ },
  { name: 'energy to a money account', raw: topup({ currency: 'energy' }), reason: 'E_COMMAND_AMOUNT', message: /^currency: energy does not match the account of m1 \(CNY\)$/ },
  { name: 'amount over the limit', raw: topup({ amount: 1_000_001 }), reason: 'E_COMMAND_AMOUNT', message: /^amount: 1000001 exceeds the maximum top-up of 1000000$/ },
  // 8. stale tariff / policy
  {
    name: 'tariff older than the one in force',
    raw: signed({ ...base, type: 'tariff', meter: 'm1', tariff, activeFrom: NOW - 86_400_000 }),
    ctx: { currentActiveFrom: (type, target) => (type === 'tariff' && target.meter === 'm1' ? NOW - 3_600_000 : undefined) },
    reason: 'E_COMMAND_EXPIRED',
    message: /^activeFrom: 2025-05-31T12:00:00\.000Z is older than the tariff in force for meter m1 \(active from 2025-06-01T11:00:00\.000Z\): stale$/,
  },
  {
    name: 'policy older than the one in force',
    raw: signed({ ...base, type: 'policy', customerClass: 'residential', policy, activeFrom: 1 }),
    ctx: { currentActiveFrom: (type, target) => (type === 'policy' && target.customerClass === 'residential' ? 2 : undefined) },
    reason: 'E_COMMAND_EXPIRED',
    message: /is older than the policy in force for class residential .*: stale$/,
  },
];

for (const c of REJECTIONS) {
  test(`rejected: ${c.name} -> ${c.reason}`, (t) => {
    const r = parseCommand(c.raw, ctx(c.ctx));
    if (r.ok) return t.fail('accepted');
    t.is(r.reason, c.reason as never, r.message);
    t.regex(r.message, c.message);
    t.is(r.id, c.id === undefined ? ID : c.id);
    const afterSignature = ['E_COMMAND_EXPIRED', 'E_COMMAND_UNKNOWN_METER', 'E_COMMAND_AMOUNT'].includes(c.reason);
    t.is(r.authenticated, afterSignature, 'authenticated exactly when the signature had verified');
  });
}

test('every command reason code is exercised by a rejection above', (t) => {
  const codes = new Set(REJECTIONS.map((c) => c.reason));
  for (const code of ['E_COMMAND_MALFORMED', 'E_COMMAND_SIGNATURE', 'E_COMMAND_UNKNOWN_KEY', 'E_COMMAND_EXPIRED', 'E_COMMAND_UNKNOWN_METER', 'E_COMMAND_AMOUNT', 'E_COMMAND_UNKNOWN_TYPE']) {
    t.true(codes.has(code), code);
  }
});

test('the clock-skew allowance applies both ways, boundaries included', (t) => {
  const skew = 300_000;
  const at = (issuedAt: number, expiresAt: number) => parseCommand(topup({ issuedAt, expiresAt }), ctx()).ok;
  t.true(at(NOW + skew, NOW + 3_600_000), 'issued exactly skew ahead of the gateway clock');
  t.false(at(NOW + skew + 1, NOW + 3_600_000));
  t.true(at(NOW - 3_600_000, NOW - skew + 1), 'expired less than skew ago');
  t.false(at(NOW - 3_600_000, NOW - skew), 'expired exactly skew ago');
  t.true(parseCommand(topup({ issuedAt: NOW - 3_600_000, expiresAt: NOW - 60_000 }), ctx({ maxSkewMs: 120_000 })).ok);
  t.false(parseCommand(topup({ issuedAt: NOW - 3_600_000, expiresAt: NOW - 60_000 }), ctx({ maxSkewMs: 0 })).ok);
});

test('a tariff with the same activeFrom as the one in force is accepted (a correction; arrival order wins)', (t) => {
  const raw = signed({ ...base, type: 'tariff', customerClass: 'residential', tariff, activeFrom: NOW });
  t.true(parseCommand(raw, ctx({ currentActiveFrom: () => NOW })).ok);
  t.false(parseCommand(raw, ctx({ currentActiveFrom: () => NOW + 1 })).ok);
  t.true(parseCommand(raw, ctx({ currentActiveFrom: () => undefined })).ok, 'no version in force yet');
});

test('order: the signature is checked before anything about meters, accounts, limits or the clock', (t) => {
  let lookups = 0;
  const spy = ctx({ meters: () => (lookups++, undefined), currentActiveFrom: () => (lookups++, Infinity) });
  const forged = signed(topupFields({ meter: 'm9', amount: 10 ** 9, issuedAt: 0, expiresAt: 1 }), otherKey, 'utility-1');
  const r = parseCommand(forged, spy);
  t.like(r, { ok: false, reason: 'E_COMMAND_SIGNATURE', authenticated: false });
  const unknownKey = parseCommand(signed(topupFields({ meter: 'm9' }), utilityKey, 'nobody'), spy);
  t.like(unknownKey, { ok: false, reason: 'E_COMMAND_UNKNOWN_KEY' });
  t.is(lookups, 0, 'no account was looked up for an unauthenticated command');
  t.like(parseCommand(tampered({ amount: 'lots' }), spy), { reason: 'E_COMMAND_MALFORMED' }, 'shape before key and signature');
  t.like(parseCommand(signed(topupFields({ expiresAt: 1, issuedAt: 0, meter: 'm9' })), ctx()), { reason: 'E_COMMAND_EXPIRED' }, 'expiry before meter');
  t.like(parseCommand(topup({ meter: 'm9', currency: 'USD', amount: 10 ** 9 }), ctx()), { reason: 'E_COMMAND_UNKNOWN_METER' }, 'meter before amount');
});

test('field order on the wire is irrelevant (the signature covers canonical JSON)', (t) => {
  const env = JSON.parse(signed(topupFields({ note: '中文 ✓' }))) as Record<string, unknown>;
  const reversed = Object.fromEntries(Object.entries(env).reverse());
  t.not(JSON.stringify(reversed), JSON.stringify(env));
  t.true(parseCommand(JSON.stringify(reversed), ctx()).ok);
  t.true(parseCommand(JSON.stringify(env, null, 2), ctx()).ok, 'whitespace too');
  t.true(parseCommand(JSON.stringify(env).replace('"amount":5000', '"amount":5e3'), ctx()).ok, 'and number spelling: 5e3 is 5000');
});

test('parseCommand is pure and deterministic: same input and context, same answer; input untouched; replays are the ledger\'s job', (t) => {
  const inputs = [signed(topupFields()), tampered({ amount: 1 }), '{', topup({ meter: 'm9' })];
  for (const raw of inputs) {
    const buf = Buffer.from(raw);
    const copy = Buffer.from(buf);
    const c = ctx();
    const runs: ParseResult[] = [parseCommand(buf, c), parseCommand(buf, c), parseCommand(raw, ctx())];
    t.deepEqual(runs[0], runs[1]);
    t.deepEqual(runs[0], runs[2]);
    t.true(buf.equals(copy));
  }
  // The same command twice is accepted twice: exactly-once is decided by id in the ledger.
  const raw = signed(topupFields());
  t.true(parseCommand(raw, ctx()).ok && parseCommand(raw, ctx()).ok);
});

test('a signCommand result round-trips with every field it was given', (t) => {
  const env = signCommand(topupFields(), utilityKey, 'utility-1');
  const r = parseCommand(JSON.stringify(env), ctx());
  t.true(r.ok);
  t.deepEqual(r.ok && r.envelope, env);
});

test('results: topics and payloads of applied, duplicate and rejected', (t) => {
  t.deepEqual(commandTopics('prepaid-edge/', 'gw-01'), { commands: 'prepaid-edge/gw-01/commands', results: 'prepaid-edge/gw-01/commands/results' });
  const applied = { status: 'applied', id: ID, type: 'topup', meter: 'm1', balance: 12500 } as const;
  t.deepEqual(JSON.parse(resultPayload(applied, NOW)), { ...applied, ts: NOW });
  t.deepEqual(JSON.parse(resultPayload({ status: 'duplicate', id: ID, original: applied }, NOW + 5)), { status: 'duplicate', id: ID, original: applied, ts: NOW + 5 });
  const r = parseCommand(topup({ amount: 0 }), ctx());
  if (r.ok) return t.fail();
  t.deepEqual(JSON.parse(resultPayload(rejectionOutcome(r), NOW)), { status: 'rejected', id: ID, reason: 'E_COMMAND_MALFORMED', message: 'amount: must be a positive integer', ts: NOW });
  t.deepEqual(JSON.parse(resultPayload(rejectionOutcome(parseCommand('nope', ctx()) as never), NOW)).id, null);
});
