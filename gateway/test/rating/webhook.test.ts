/** Reminders to a webhook from the SQLite outbox: signed, retried with backoff through failures, timeouts and an offline receiver, marked delivered only after a 2xx. */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import test from 'ava';
import { systemClock } from '@prepaid-edge/protocols';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { RatingStore } from '../../src/adapters/rating/rating-store.js';
import { retryDelay, signBody, verifySignature, WebhookDeliverer } from '../../src/adapters/notify/webhook.js';
import { createLogger } from '../../src/adapters/log.js';
import { tempDir } from '../store/temp-dir.js';
import { startReceiver } from './receiver.js';

const SECRET = 'a-webhook-secret-of-32-bytes-ok!';

async function store(t: import('ava').ExecutionContext): Promise<RatingStore> {
  const db = join(tempDir(t), 'gw.db');
  await (await openLedger(db)).close();
  const s = await RatingStore.open(db);
  t.teardown(() => s.close());
  return s;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const note = (id: string) => ({ id, meter: 'p1', kind: 'topup-receipt', createdAt: Date.now(), payload: { id, type: 'reminder', kind: 'topup-receipt', meter: 'p1', text: '充值 10.00 CNY' } });

test('the signature: HMAC-SHA256 over "<timestamp>.<body>", as documented; backoff doubles to its cap', (t) => {
  const body = '{"id":"gw/p1/topup:1"}';
  // Independent check: the same HMAC by hand.
  t.is(signBody(SECRET, 1767225600000, body), 'sha256=' + (require_hmac(SECRET, `1767225600000.${body}`)));
  t.true(verifySignature(SECRET, '1767225600000', body, signBody(SECRET, 1767225600000, body)));
  t.false(verifySignature(SECRET, '1767225600001', body, signBody(SECRET, 1767225600000, body)), 'another timestamp');
  t.false(verifySignature('another-secret-of-some-length', '1767225600000', body, signBody(SECRET, 1767225600000, body)));
  t.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retryDelay({ retryMinMs: 100, retryMaxMs: 1000 }, n)), [100, 200, 400, 800, 1000, 1000]);
});

function require_hmac(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

test('a receiver that fails, then times out, then accepts: one delivery marked, every attempt signed, same event id', async (t) => {
  const s = await store(t);
  const rx = await startReceiver(SECRET);
  t.teardown(() => rx.close());
  rx.script = ['fail', 'hang', 'fail'];
  const w = new WebhookDeliverer({ store: s, rules: { url: rx.url, secretFile: '-', timeoutMs: 300, retryMinMs: 50, retryMaxMs: 400 }, secret: Buffer.from(SECRET), clock: systemClock, log: createLogger({ level: 'silent' }) });
  t.teardown(() => w.stop());
  await s.enqueue([note('gw/p1/topup:7')]);
  w.start();
  await until(async () => (await s.notifications())[0]!.deliveredAt !== null);
  const [n] = await s.notifications();
  t.is(n!.attempts, 4);
  t.is(n!.lastError, null);
  t.deepEqual(rx.received.map((r) => r.answer), ['fail', 'hang', 'fail', 'ok']);
  t.true(rx.received.every((r) => r.valid && r.id === 'gw/p1/topup:7'));
  t.is(JSON.parse(rx.received[3]!.body).text, '充值 10.00 CNY');
  t.deepEqual(rx.accepted, ['gw/p1/topup:7']);
  // Delivered: never sent again.
  w.kick();
  await new Promise((r) => setTimeout(r, 300));
  t.is(rx.received.length, 4);
});

test('offline: kept in the outbox while nothing listens, delivered in order once the receiver is back', async (t) => {
  const s = await store(t);
  // A port that was free a moment ago: nothing listens there now.
  const probe = await startReceiver(SECRET);
  const port = probe.port;
  await probe.close();
  const w = new WebhookDeliverer({ store: s, rules: { url: `http://127.0.0.1:${port}/hook`, secretFile: '-', timeoutMs: 500, retryMinMs: 50, retryMaxMs: 200 }, secret: Buffer.from(SECRET), clock: systemClock, log: createLogger({ level: 'silent' }) });
  t.teardown(() => w.stop());
  await s.enqueue([note('gw/p1/a'), note('gw/p1/b')]);
  w.start();
  await until(async () => (await s.notifications()).every((n) => n.attempts >= 2));
  const pending = await s.notifications();
  t.true(pending.every((n) => n.deliveredAt === null && /ECONNREFUSED|fetch failed/.test(n.lastError ?? '')), JSON.stringify(pending.map((n) => n.lastError)));
  const rx = await startReceiver(SECRET, port);
  t.teardown(() => rx.close());
  await until(async () => (await s.notifications()).every((n) => n.deliveredAt !== null));
  t.deepEqual(rx.accepted.sort(), ['gw/p1/a', 'gw/p1/b']);
  t.is(rx.received.length, 2);
});
