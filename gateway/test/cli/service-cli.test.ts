/**
 * Technician commands next to a running `prepaid-gateway run` (real processes): relay through the
 * service's control API or refused, never into its database; top-up limits; watch fits its width.
 */
import { join } from 'node:path';
import test from 'ava';
import sqlite3 from 'sqlite3';
import YAML from 'yaml';
import { writeFileSync } from 'node:fs';
import { Simulator } from '@prepaid-edge/simulator';
import { freePort, waitForPort } from '@prepaid-edge/protocols/loopback';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { waitFor } from '../uplink/helpers.js';
import { API_TOKEN, cliGateway, consoleSection } from './cli-fixture.js';
import { cli, spawnCli } from './run-cli.js';

function count(db: string, sql: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const d = new sqlite3.Database(db, sqlite3.OPEN_READONLY, (e) => {
      if (e) return reject(e);
      d.get(sql, (err, row: { n: number } | undefined) => {
        d.close();
        if (err) reject(err);
        else resolve(row!.n);
      });
    });
  });
}

test('relay open --yes while the service runs: refused without a token (nothing written), through the control API with one', async (t) => {
  t.timeout(180_000);
  const sim = new Simulator({ meters: 0, seed: 'relay-service', scenario: { meters: [{ units: [1], profile: 'prepaid' }] } });
  const simPort = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const port = await freePort();
  const g = cliGateway(t, {}, { accounts: [{ meter: 'p1', customer: 'C-1', class: 'money', openingBalance: 500_000 }] });
  g.write({ ...g.raw, buses: [{ id: 'b', type: 'tcp', host: '127.0.0.1', port: simPort, timeoutMs: 500 }], meters: [{ id: 'p1', bus: 'b', unit: 1, profile: 'prepaid', pollMs: 500 }], console: await consoleSection(port) });
  const gw = spawnCli(t, ['run', '--config', g.file]);
  await waitForPort(port, 60_000, () => gw.proc.exitCode !== null).catch((e: Error) => t.fail(`${e.message}\n${gw.stderr()}`));
  await waitFor('a first reading', async () => (await count(g.db, 'SELECT count(*) AS n FROM readings').catch(() => 0)) > 0, 30_000).catch(() => undefined);
  t.true(sim.meter(1).trueState().snapshot.relayClosed);
  const technicianRows = () => count(g.db, "SELECT count(*) AS n FROM ledger_audit WHERE cause = 'technician'");
  const before = await technicianRows();

  const refused = await cli(['relay', 'open', '--yes', '-c', g.file, '--meter', 'p1'], { env: { PREPAID_GATEWAY_API_TOKEN: '' } });
  t.is(refused.code, 2);
  t.regex(refused.stderr, /^prepaid-gateway: E_STORE_OPEN: relay: the gateway service \(pid \d+\) is running and owns the relays .*set PREPAID_GATEWAY_API_TOKEN/);
  t.notRegex(refused.stderr, /E_RELAY_MISMATCH/);
  t.true(sim.meter(1).trueState().snapshot.relayClosed, 'the relay was not touched');
  t.is(await technicianRows(), before, 'no audit row written into the running service\'s database');

  const env = { PREPAID_GATEWAY_API_TOKEN: API_TOKEN };
  const open = await cli(['relay', 'open', '--yes', '-c', g.file, '--meter', 'p1'], { env });
  t.is(open.code, 0, `${open.stderr}\n${gw.stderr().slice(-2000)}`);
  t.regex(open.stdout, /^p1: disconnected \(through the running gateway, verified by readback; held until \d{4}-/);
  t.false(sim.meter(1).trueState().snapshot.relayClosed, 'the meter\'s relay is open');
  t.is(await technicianRows(), before, 'the service audits it itself (cause technician:cli), the CLI writes nothing');
  t.true((await count(g.db, "SELECT count(*) AS n FROM ledger_audit WHERE cause = 'technician:cli'")) > 0);

  const close = await cli(['relay', 'close', '--yes', '-c', g.file, '--meter', 'p1'], { env });
  t.is(close.code, 0, close.stderr);
  t.regex(close.stdout, /^p1: connected \(through the running gateway/);
  t.true(sim.meter(1).trueState().snapshot.relayClosed);
  await waitFor('a reading after the close', async () => {
    const s = await cli(['relay', 'status', '-c', g.file, '--meter', 'p1'], { env });
    return /^p1: connected/.test(s.stdout);
  }, 20_000);

  const wrong = await cli(['relay', 'open', '--yes', '-c', g.file, '--meter', 'p1'], { env: { PREPAID_GATEWAY_API_TOKEN: 'pgw_wrong-token-0123456789abcdefghijklmnopqrstuvwx' } });
  t.is(wrong.code, 2);
  t.regex(wrong.stderr, /refused the token \(HTTP 401\)/);
  t.true(sim.meter(1).trueState().snapshot.relayClosed);
});

test('top-up limits: 5,000,000 EUR refused by the EUR default (E_COMMAND_AMOUNT, audited); a policy limit wins over the site one', async (t) => {
  t.timeout(120_000);
  const g = cliGateway(t);
  const huge = await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', String(5_000_000 * 1000)]);
  t.is(huge.code, 1);
  t.regex(huge.stderr, /^rejected \(E_COMMAND_AMOUNT\): amount: 5000000000 exceeds the maximum top-up of 1000000 \(default for EUR \(1000 EUR\)\)/);
  const ok = await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', '1000000']);
  t.is(ok.code, 0, ok.stderr);
  const l = await openLedger(g.db);
  const audit = await l.auditLog({ meter: 'p1' });
  t.is((await l.account('p1'))?.balance, 1000 + 1_000_000);
  await l.close();
  t.like(audit.find((a) => a.action === 'topup-refused'), { cause: 'command:tech-1', detail: { reason: 'E_COMMAND_AMOUNT', amount: 5_000_000_000, currency: 'EUR' } });

  // Site limit above the default, a policy limit below it: the policy's is the one.
  const policy = join(g.dir, 'capped.yaml');
  writeFileSync(policy, YAML.stringify({ id: 'capped', lowCreditThresholds: [3000, 1000], reconnect: { mode: 'auto', threshold: 0 }, maxTopUp: 50_000 }));
  const credit = g.raw.credit as Record<string, unknown>;
  g.write({ ...g.raw, credit: { ...credit, policies: { res: { file: policy } }, commands: { maxTopUp: 2_000_000 } } });
  const capped = await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', '50001']);
  t.is(capped.code, 1);
  t.regex(capped.stderr, /exceeds the maximum top-up of 50000 \(policy capped\)/);
  g.write({ ...g.raw, credit: { ...credit, commands: { maxTopUp: 2_000_000 } } });
  const site = await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', '1500000']);
  t.is(site.code, 0, `site limit 2,000,000 lets 1,500,000 through: ${site.stderr}`);

  // A currency without a default and no limit set: config check says what to set.
  const tariff = join(g.dir, 'xts.yaml');
  writeFileSync(tariff, YAML.stringify({ id: 'xts', creditUnit: 'currency', currency: 'XTS', subunitsPerUnit: 100, periods: [{ id: 'flat', pricePerKwh: 10 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 }));
  g.write({ ...g.raw, credit: { ...credit, tariffs: { flat: { file: tariff } } } });
  const check = await cli(['config', 'check', g.file]);
  t.is(check.code, 2);
  t.regex(check.stderr, /credit\.accounts\[0\]: no default top-up limit for XTS \(gateway\/schema\/top-up-limits\.json\): set credit\.commands\.maxTopUp or maxTopUp in policy res/);
});

test('watch fits --width (or the terminal): no line longer, every value still shown', async (t) => {
  t.timeout(120_000);
  const sim = new Simulator({ profile: 'sdm630', meters: 2, seed: 'watch-width' });
  const simPort = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const g = cliGateway(t);
  const { credit: _c, technician: _t, ...raw } = g.raw;
  g.write({ ...raw, buses: [{ id: 'b', type: 'tcp', host: '127.0.0.1', port: simPort, timeoutMs: 1000 }], meters: [1, 2].map((u) => ({ id: `sdm630-flat-${u}`, bus: 'b', unit: u, profile: 'sdm630', pollMs: 1000 })) });
  const wide = await cli(['watch', '-c', g.file, '--count', '1']);
  t.is(wide.code, 0, wide.stderr);
  const widest = Math.max(...wide.stdout.split('\n').map((l) => l.length));
  t.true(widest > 80, `a pipe gets whole lines (${widest} columns)`);
  const fit = await cli(['watch', '-c', g.file, '--count', '1', '--width', '80']);
  t.is(fit.code, 0, fit.stderr);
  const lines = fit.stdout.split('\n');
  t.true(lines.every((l) => l.length <= 80), fit.stdout);
  const headers = (s: string) => s.split('\n').filter((l) => l.startsWith('meter ')).flatMap((l) => l.split(/\s{2,}/).slice(1)).sort();
  t.deepEqual(headers(fit.stdout), headers(wide.stdout), 'the same columns, stacked');
  t.is(fit.stdout.split('\n').filter((l) => l.startsWith('sdm630-flat-1 ')).length, fit.stdout.split('\n').filter((l) => l.startsWith('meter ')).length);
  const bad = await cli(['watch', '-c', g.file, '--count', '1', '--width', 'narrow']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--width: "narrow" is not a number of columns >= 20/);
});
