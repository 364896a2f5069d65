/** topup / token signed with the technician key and applied offline; status and doctor on the same gateway. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { generateCommandKeyPair } from '../../src/core/commands/index.js';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { acquireOwner } from '../../src/adapters/store/owner-lock.js';
import { tempDir } from '../store/temp-dir.js';
import { cli, EXAMPLES } from './run-cli.js';

interface Vector { token: string; decoder_key_hex: string; meter_pan: string; token_class: number; token_subclass: number; amount_units: number }
const VECTORS = JSON.parse(readFileSync(new URL('../../../../protocols/test/tokens/sts/fixtures/sts_vectors.json', import.meta.url), 'utf8')) as { dkga02_ea07: { tokens: Vector[] } };
// Published DKGA-02 / EA07 test vectors: 0.1 kWh and 1 kWh for meter PAN 600727000000000009.
const STS = VECTORS.dkga02_ea07.tokens.filter((v) => v.meter_pan === '600727000000000009' && v.token_class === 0 && v.token_subclass === 0);

function gateway(t: import('ava').ExecutionContext, over: Record<string, unknown> = {}) {
  const dir = tempDir(t);
  const pair = generateCommandKeyPair();
  writeFileSync(join(dir, 'tech.pem'), pair.privateKeyPem, { mode: 0o600 });
  const raw = {
    gateway: { id: 'gw-tech' },
    storage: { path: join(dir, 'gw.db') },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    buses: [{ id: 'b', type: 'rtu', path: join(dir, 'no-such-tty'), baudRate: 9600, parity: 'even' }],
    meters: [
      { id: 'p1', bus: 'b', unit: 1, profile: 'prepaid' },
      { id: 'p2', bus: 'b', unit: 2, profile: 'prepaid' },
    ],
    technician: { keyId: 'tech-1', privateKeyPath: 'tech.pem' },
    credit: {
      tariffs: { flat: { file: join(EXAMPLES, 'tariffs/flat.yaml') }, energy: { file: join(EXAMPLES, 'tariffs/energy.json') } },
      policies: { res: { file: join(EXAMPLES, 'policies/residential.yaml') } },
      classes: { money: { tariff: 'flat', policy: 'res' }, kwh: { tariff: 'energy', policy: 'res' } },
      accounts: [
        { meter: 'p1', customer: 'C-1', class: 'money', openingBalance: 1000 },
        { meter: 'p2', customer: 'C-2', class: 'kwh', openingBalance: 0, sts: { decoderKey: STS[0]!.decoder_key_hex, baseDate: 1993 } },
      ],
      keys: [{ keyId: 'tech-1', publicKey: pair.publicKeyRaw }],
    },
    ...over,
  };
  const file = join(dir, 'gw.yaml');
  writeFileSync(file, YAML.stringify(raw));
  return { dir, file, db: join(dir, 'gw.db') };
}

async function balance(db: string, meter: string): Promise<number | undefined> {
  const l = await openLedger(db);
  try {
    return (await l.account(meter))?.balance;
  } finally {
    await l.close();
  }
}

test('topup and token offline: signed with the technician key, booked once in the ledger', async (t) => {
  t.timeout(240_000);
  const g = gateway(t);
  const up = await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', '5000', '--note', 'cash at the door']);
  t.is(up.code, 0, up.stderr);
  t.regex(up.stdout, /applied topup \S+ for p1 via offline \(ledger\): balance 6000/);
  t.is(await balance(g.db, 'p1'), 6000);

  const tok = await cli(['token', '-c', g.file, '--meter', 'p2', STS[0]!.token]);
  t.is(tok.code, 0, tok.stderr);
  t.regex(tok.stdout, /applied token \S+ for p2 via offline \(ledger\): balance 100/, '0.1 kWh = 100 Wh');
  const again = await cli(['token', '-c', g.file, '--meter', 'p2', STS[0]!.token]);
  t.is(again.code, 1);
  t.regex(again.stderr, /rejected \(E_TOKEN_USED\)/);
  t.is(await balance(g.db, 'p2'), 100);

  const l = await openLedger(g.db);
  const audit = await l.auditLog({ meter: 'p1' });
  t.true((await l.verify()).ok, 'balances equal the replay of the entries');
  await l.close();
  t.true(audit.some((a) => JSON.stringify(a.detail).includes('5000')), 'the top-up is in the audit log');

  const st = await cli(['status', '-c', g.file]);
  t.is(st.code, 0, st.stderr);
  t.regex(st.stdout, /service: not running/);
  t.regex(st.stdout, /outbox: 0 readings, 0 events waiting/);
  t.regex(st.stdout, /account p1: balance 6000 EUR sub-units/);
  t.regex(st.stdout, /account p2: balance 100 Wh/);
  const js = JSON.parse((await cli(['status', '-c', g.file, '--json'])).stdout) as { database: { accounts: Array<{ meter: string; balance: number }> }; buses: unknown[] };
  t.deepEqual(js.database.accounts.map((a) => [a.meter, a.balance]), [['p1', 6000], ['p2', 100]]);
});

test('offline apply is refused while the gateway service owns the database', async (t) => {
  t.timeout(240_000);
  const g = gateway(t);
  const release = await acquireOwner(g.db); // held by this test process, which is not the CLI
  t.teardown(release);
  const r = await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', '5']);
  t.is(r.code, 2);
  t.regex(r.stderr, /the gateway service \(pid \d+\) holds the database/);
});

test('topup without a technician key names the missing section', async (t) => {
  t.timeout(240_000);
  const g = gateway(t, { technician: undefined });
  const r = await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', '5']);
  t.is(r.code, 2);
  t.regex(r.stderr, /technician: the configuration has no technician key/);
});

test('doctor: missing adapter and unreachable broker FAIL (exit 1); clock, disk and database are checked', async (t) => {
  t.timeout(240_000);
  const g = gateway(t);
  await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', '5']); // creates the database
  const r = await cli(['doctor', '-c', g.file]);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /FAIL {2}serial port .*no-such-tty \(bus b\): not present/);
  t.regex(r.stdout, /FAIL {2}MQTT broker: 127\.0\.0\.1:1: /);
  t.regex(r.stdout, /PASS {2}clock: /);
  t.regex(r.stdout, /(PASS|WARN) {2}disk space/);
  t.regex(r.stdout, /PASS {2}database .*: integrity_check ok/);
});
