/**
 * The gateway as a process (`prepaid-gateway run`), a reminder pending at its webhook when it is
 * SIGKILLed: after the restart it is delivered, and the receiver acts on it exactly once (de-dup
 * key: the event id); the gateway marked it delivered only after the 2xx.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { RatingStore } from '../../src/adapters/rating/rating-store.js';
import { initialAccountState } from '../../src/core/policy/index.js';
import { tempDir } from '../store/temp-dir.js';
import { EXAMPLES, spawnCli } from '../cli/run-cli.js';
import { startReceiver } from './receiver.js';

const SECRET = 'kill-test-secret-0123456789abcdef';

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function outbox(db: string) {
  const s = await RatingStore.open(db, { readonly: true });
  try {
    return await s.notifications();
  } finally {
    await s.close();
  }
}

test('SIGKILL while a reminder is pending: delivered once after the restart', async (t) => {
  t.timeout(180_000);
  const dir = tempDir(t);
  const db = join(dir, 'gw.db');
  const rx = await startReceiver(SECRET);
  t.teardown(() => rx.close());
  rx.then = 'hang';
  writeFileSync(join(dir, 'webhook.secret'), `${SECRET}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'rating.yaml'),
    YAML.stringify({
      score: { weights: { topUpBeforeEmpty: 5, topUpAfterEmpty: -15 } },
      classes: [{ name: 'A', band: 'gentle', minScore: 700 }, { name: 'B', band: 'gentle' }],
      bands: { gentle: { policy: 'res' } },
      reminders: { language: 'zh-CN', webhook: { url: rx.url, secretFile: 'webhook.secret', timeoutMs: 120_000, retryMinMs: 200, retryMaxMs: 1000 } },
    }),
  );
  const config = join(dir, 'gw.yaml');
  writeFileSync(
    config,
    YAML.stringify({
      gateway: { id: 'gw-kill' },
      storage: { path: db },
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      buses: [{ id: 'b', type: 'rtu', path: join(dir, 'no-such-tty'), baudRate: 9600, parity: 'even' }],
      meters: [{ id: 'p1', bus: 'b', unit: 1, profile: 'prepaid' }],
      credit: {
        tariffs: { flat: { file: join(EXAMPLES, 'tariffs/flat.yaml') } },
        policies: { res: { file: join(EXAMPLES, 'policies/residential.yaml') } },
        classes: { money: { tariff: 'flat', policy: 'res' } },
        accounts: [{ meter: 'p1', customer: 'C-1', class: 'money' }],
        keys: [],
      },
      rating: { file: 'rating.yaml' },
    }),
  );
  // A top-up already in the ledger: the gateway's first fold queues its receipt.
  const ledger = await openLedger(db);
  await ledger.ensureAccount({ meter: 'p1', customer: 'C-1', customerClass: 'money', creditUnit: 'currency', currency: 'EUR' }, initialAccountState());
  const now = Date.now();
  await ledger.post({ meter: 'p1', ts: now, entries: [{ kind: 'consumption', amount: -100, ts: now, cause: {} }], audit: { action: 'charge', cause: 'test' } });
  const top = await ledger.post({ meter: 'p1', ts: now, entries: [{ kind: 'topup', amount: 25_000, ts: now, cause: { command: 'c-1' } }], audit: { action: 'topup', cause: 'test' } });
  await ledger.close();
  const id = `gw-kill/p1/topup:${top.entries[0]!.id}`;

  const first = spawnCli(t, ['run', '-c', config]);
  await until('the first attempt', () => rx.received.some((r) => r.id === id)).catch((e: Error) => {
    throw new Error(`${e.message}\n${first.stderr()}`);
  });
  // The receiver holds the request: the gateway has no 2xx yet, so it must not have marked it.
  first.proc.kill('SIGKILL');
  await first.exited;
  t.is((await outbox(db)).find((n) => n.id === id)?.deliveredAt, null);

  rx.then = 'ok';
  const second = spawnCli(t, ['run', '-c', config]);
  await until('delivery after the restart', async () => (await outbox(db).catch(() => [])).find((n) => n.id === id)?.deliveredAt != null).catch((e: Error) => {
    throw new Error(`${e.message}\n${second.stderr()}`);
  });
  await until('the gateway started', () => second.stderr().includes('gateway started'));
  second.proc.kill('SIGTERM');
  t.is(await second.exited, 0, second.stderr());

  const sent = rx.received.filter((r) => r.id === id);
  t.true(sent.length >= 2, 'sent again after the crash');
  t.true(sent.every((r) => r.valid), 'every attempt signed');
  t.deepEqual(rx.accepted, [id], 'acted on once');
  t.is(sent.filter((r) => r.answer === 'ok').length, 1, 'one 2xx, then never sent again');
  const body = JSON.parse(sent.at(-1)!.body) as { text: string; language: string; customer: string };
  t.is(body.language, 'zh-CN');
  t.is(body.customer, 'C-1');
  t.regex(body.text, /充值 25\.\d+ EUR/);
  const queued = (await outbox(db)).filter((n) => n.kind === 'topup-receipt');
  t.is(queued.length, 1, 'one outbox row per event id');
});
