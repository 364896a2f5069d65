/** `prepaid-gateway credit rating` as a process: computed from the ledger before any pass, the stored ratings after one; --meter, --json, errors. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { systemClock } from '@prepaid-edge/protocols';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { RatingStore } from '../../src/adapters/rating/rating-store.js';
import { RatingService } from '../../src/adapters/rating/rating-service.js';
import { loadRating } from '../../src/adapters/rating/load-rating.js';
import { createLogger } from '../../src/adapters/log.js';
import { initialAccountState } from '../../src/core/policy/index.js';
import type { Rating } from '../../src/core/rating/index.js';
import { tempDir } from '../store/temp-dir.js';
import { cli, EXAMPLES } from '../cli/run-cli.js';

const DAY = 86_400_000;

async function gateway(t: import('ava').ExecutionContext) {
  const dir = tempDir(t);
  const db = join(dir, 'gw.db');
  writeFileSync(join(dir, 'gw.yaml'), YAML.stringify({
    gateway: { id: 'gw-cli' },
    storage: { path: db },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    buses: [{ id: 'b', type: 'rtu', path: join(dir, 'no-such-tty'), baudRate: 9600, parity: 'even' }],
    meters: [{ id: 'p1', bus: 'b', unit: 1, profile: 'prepaid' }, { id: 'p2', bus: 'b', unit: 2, profile: 'prepaid' }],
    credit: {
      tariffs: { flat: { file: join(EXAMPLES, 'tariffs/flat.yaml') } },
      policies: { res: { file: join(EXAMPLES, 'policies/residential.yaml') } },
      classes: { money: { tariff: 'flat', policy: 'res' } },
      accounts: [{ meter: 'p1', customer: 'C-1', class: 'money' }, { meter: 'p2', customer: 'C-2', class: 'money' }],
      keys: [],
    },
    rating: { file: join(EXAMPLES, 'rating/rating.yaml') },
  }));
  const ledger = await openLedger(db);
  const t0 = Date.now() - 30 * DAY;
  for (const m of ['p1', 'p2']) await ledger.ensureAccount({ meter: m, customer: m, customerClass: 'money', creditUnit: 'currency', currency: 'EUR' }, initialAccountState());
  const post = (meter: string, kind: 'topup' | 'consumption' | 'adjustment', amount: number, ts: number) => ledger.post({ meter, ts, entries: [{ kind, amount, ts, cause: {} }], audit: { action: 'charge', cause: 'test' } });
  // p1 tops up before it runs out, every 5 days; p2 runs out and tops up late, and is cut off once.
  await post('p1', 'adjustment', 1_000, t0);
  await post('p1', 'consumption', -1, t0);
  await post('p2', 'consumption', -1, t0);
  for (let d = 0; d < 30; d += 5) {
    await post('p1', 'topup', 6_000, t0 + d * DAY + 1);
    await post('p1', 'consumption', -5_000, t0 + (d + 4) * DAY);
    await post('p2', 'consumption', -5_000, t0 + d * DAY + 2);
    await post('p2', 'topup', 5_000, t0 + (d + 3) * DAY);
  }
  await ledger.audit({ ts: t0 + 2 * DAY, meter: 'p2', action: 'relay-disconnected', cause: 'credit-exhausted', detail: { result: 'verified' } });
  await ledger.close();
  return { file: join(dir, 'gw.yaml'), db };
}

test('credit rating: computed from the ledger, then the stored ratings; --meter and --json; explained', async (t) => {
  t.timeout(120_000);
  const g = await gateway(t);
  const computed = await cli(['credit', 'rating', '-c', g.file, '--json']);
  t.is(computed.code, 0, computed.stderr);
  const c = JSON.parse(computed.stdout) as { source: string; ratings: Rating[] };
  t.is(c.source, 'computed');
  const [p1, p2] = c.ratings;
  t.is(p1!.meter, 'p1');
  t.is(p1!.factors.find((f) => f.factor === 'topUpBeforeEmpty')!.total, 6);
  t.is(p2!.factors.find((f) => f.factor === 'topUpAfterEmpty')!.total, 6);
  t.is(p2!.factors.find((f) => f.factor === 'disconnections')!.total, 1);
  t.true(p1!.score > p2!.score);
  // Six on-time top-ups lift p1 from 600 to at most 630, a little less as they fade (B: A needs 700); p2 falls below 450 (C).
  t.true(p1!.score > 620 && p1!.score <= 630, String(p1!.score));
  t.is(p1!.grade, 'B');
  t.is(p2!.grade, 'C');
  // Nothing was written by the CLI.
  const ro = await RatingStore.open(g.db, { readonly: true });
  t.deepEqual(await ro.latest(), []);
  await ro.close();

  // The gateway's daily pass stores them; the CLI then shows the stored ones.
  const store = await RatingStore.open(g.db);
  const setup = loadRating(join(EXAMPLES, 'rating/rating.yaml'));
  const svc = new RatingService({ store, rules: setup.rules, templates: setup.templates, gatewayId: 'gw-cli', zone: 'UTC', clock: systemClock, log: createLogger({ level: 'silent' }), accounts: () => [{ meter: 'p1', customer: 'C-1', contract: 'money', creditUnit: 'currency', currency: 'EUR' }, { meter: 'p2', customer: 'C-2', contract: 'money', creditUnit: 'currency', currency: 'EUR' }], subunitsPerUnit: () => 100, event: () => undefined, audit: async () => undefined });
  const stored = await svc.regrade();
  await store.close();
  const table = await cli(['credit', 'rating', '-c', g.file, '--meter', 'p2']);
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /stored by the last daily pass/);
  t.regex(table.stdout, new RegExp(`^p2\\s+${stored[1]!.score}\\s+${stored[1]!.grade}\\s+`, 'm'));
  t.regex(table.stdout, /^ {4}disconnections 0\.\d+ x -40 = -3\d \(1 in all, faded\)$/m);
  t.notRegex(table.stdout, /^p1/m);

  const bad = await cli(['credit', 'rating', '-c', g.file, '--meter', 'nope']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /E_CONFIG_INVALID: --meter: no credit account for meter "nope"/);
});

test('config check names a problem in the rating file by its path', async (t) => {
  const g = await gateway(t);
  const dir = join(g.file, '..');
  writeFileSync(join(dir, 'rating.yaml'), YAML.stringify({ score: { weights: {} }, classes: [{ name: 'A', band: 'x' }], bands: { x: { policy: 'missing' } } }));
  const cfg = YAML.parse((await import('node:fs')).readFileSync(g.file, 'utf8')) as Record<string, unknown>;
  writeFileSync(g.file, YAML.stringify({ ...cfg, rating: { file: 'rating.yaml' } }));
  const r = await cli(['config', 'check', g.file]);
  t.is(r.code, 2);
  t.regex(r.stderr, /rating\.bands\.x\.policy: no policy "missing" in credit\.policies/);
});
