/**
 * The ledger's stream calls on a real SQLite file, and the LedgerFeed against a scripted publisher:
 * the delivered cursor moves only over the acknowledged prefix (acks out of order, a failed publish),
 * is saved and survives a reopen, never moves back; a new session starts again at the cursor.
 */
import test from 'ava';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { systemClock } from '@prepaid-edge/protocols';
import { openLedger, type Ledger } from '../../src/adapters/store/ledger/index.js';
import { LedgerFeed, type StreamPublisher } from '../../src/adapters/ledger-stream/index.js';
import { parseLedgerMessage } from '../../src/core/ledger/stream.js';
import { tempDir } from '../store/temp-dir.js';
import { quietLog, waitFor } from '../uplink/helpers.js';
import { STATE } from '../ledger/fixtures.js';


async function ledgerWith(t: import('ava').ExecutionContext, path: string, meters: string[], topups: number): Promise<Ledger> {
  const ledger = await openLedger(path, { synchronous: 'normal' });
  t.teardown(() => ledger.close().catch(() => undefined));
  for (const meter of meters) await ledger.ensureAccount({ meter, customer: 'C', customerClass: 'r', creditUnit: 'currency', currency: 'EUR' }, STATE);
  for (let i = 0; i < topups; i++) {
    const meter = meters[i % meters.length]!;
    await ledger.post({ meter, ts: 1000 + i, entries: [{ kind: 'topup', amount: 100 + i, ts: 1000 + i, cause: { n: i } }], audit: { action: 'topup', cause: 'test' } });
  }
  return ledger;
}

/** A publisher whose PUBACKs the test hands out by hand. */
class ScriptedPublisher extends EventEmitter implements StreamPublisher {
  up = false;
  sent: Array<{ seqs: number[]; settle: (ok: boolean) => void }> = [];
  connected(): boolean {
    return this.up;
  }
  publish(_topic: string, payload: string): Promise<boolean> {
    const p = parseLedgerMessage(payload);
    if (!p.ok) throw new Error(p.error);
    return new Promise((resolve) => this.sent.push({ seqs: p.message.entries.map((e) => e.seq), settle: resolve }));
  }
  connect(): void {
    this.up = true;
    this.emit('connected');
  }
  drop(): void {
    this.up = false;
    this.emit('disconnected');
  }
}

test('streamAfter numbers entries from the cursor; streamDelivered persists, survives a reopen, never moves back, refuses a bad cursor', async (t) => {
  const path = join(tempDir(t), 'gw.db');
  const ledger = await ledgerWith(t, path, ['m1', 'm2'], 5);
  t.deepEqual(await ledger.streamCursor(), { entry: 0, seq: 0 }, 'a new file starts at the beginning');
  const first = await ledger.streamAfter({ entry: 0, seq: 0 }, 3);
  t.deepEqual(first.map((e) => e.seq), [1, 2, 3]);
  const rest = await ledger.streamAfter({ entry: first[2]!.id, seq: 3 }, 100);
  t.deepEqual(rest.map((e) => [e.seq, e.meter, e.amount, e.balanceAfter]), [[4, 'm2', 103, 204], [5, 'm1', 104, 306]]);
  await ledger.streamDelivered({ entry: first[2]!.id, seq: 3 });
  await ledger.streamDelivered({ entry: first[0]!.id, seq: 1 }); // a late, older save
  await t.throwsAsync(ledger.streamDelivered({ entry: 1, seq: 5 }), { code: 'E_LEDGER_INPUT' }); // seq 5 cannot end at entry id 1
  await ledger.close();
  const again = await openLedger(path, { synchronous: 'normal' });
  t.teardown(() => again.close());
  t.deepEqual(await again.streamCursor(), { entry: first[2]!.id, seq: 3 }, 'the cursor survives and did not move back');
});

test('feed: the cursor moves over the acknowledged prefix only; a failed publish goes again from the cursor (next session, or a retry while the connection stays up); stop saves the cursor', async (t) => {
  const path = join(tempDir(t), 'gw.db');
  const ledger = await ledgerWith(t, path, ['m1'], 6);
  const pub = new ScriptedPublisher();
  const feed = new LedgerFeed({ ledger, publisher: pub, gatewayId: 'g', topic: 'x/g/ledger', batchSize: 2, inflight: 8, clock: systemClock, log: quietLog(), lingerMs: 1, stopTimeoutMs: 200 });
  await feed.start();
  await new Promise((r) => setTimeout(r, 50));
  t.is(pub.sent.length, 0, 'nothing published while disconnected');
  pub.connect();
  await waitFor('three messages in flight', () => pub.sent.length === 3);
  t.deepEqual(pub.sent.map((s) => s.seqs), [[1, 2], [3, 4], [5, 6]]);
  pub.sent[1]!.settle(true); // out of order: the head is still unacknowledged
  await new Promise((r) => setTimeout(r, 20));
  t.is(feed.state().delivered.seq, 0, 'the cursor waits for the head');
  pub.sent[0]!.settle(true);
  await waitFor('cursor at 4', () => feed.state().delivered.seq === 4);
  pub.sent[2]!.settle(false); // the connection is going
  pub.drop();
  pub.connect();
  await waitFor('resent from the cursor', () => pub.sent.length === 4);
  t.deepEqual(pub.sent[3]!.seqs, [5, 6], 'the new session starts at the delivered cursor');
  await ledger.post({ meter: 'm1', ts: 9, entries: [{ kind: 'consumption', amount: -5, ts: 9, cause: {} }], audit: { action: 'charge', cause: 'test' } });
  pub.sent[3]!.settle(true);
  await waitFor('the new entry sent after its commit', () => pub.sent.length === 5);
  t.deepEqual(pub.sent[4]!.seqs, [7]);
  pub.sent[4]!.settle(true);
  await ledger.post({ meter: 'm1', ts: 10, entries: [{ kind: 'consumption', amount: -6, ts: 10, cause: {} }], audit: { action: 'charge', cause: 'test' } });
  await waitFor('seq 8 sent', () => pub.sent.length === 6);
  pub.sent[5]!.settle(false); // refused, and the connection stays up
  await waitFor('seq 8 sent again from the cursor', () => pub.sent.length === 7, 5000);
  t.deepEqual(pub.sent[6]!.seqs, [8]);
  t.is(feed.state().delivered.seq, 7, 'not past the refused message');
  pub.sent[6]!.settle(true);
  await waitFor('cursor at 8', () => feed.state().delivered.seq === 8);
  await feed.stop();
  t.deepEqual(await ledger.streamCursor(), feed.state().delivered);
  t.is(feed.state().delivered.seq, 8);
});
