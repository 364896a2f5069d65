/**
 * Frozen readings end to end: the keeper on a real SQLite outbox, driven by an injected clock over
 * a DST weekend; and an outage: frozen while the broker is down, delivered to a real mosquitto after.
 */
import { join } from 'node:path';
import test from 'ava';
import { ManualClock } from '@prepaid-edge/protocols';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { openOutbox, type SqliteOutbox } from '../../src/adapters/store/index.js';
import { createUplink } from '../../src/adapters/uplink/index.js';
import { FROZEN_KEEP_MS, FrozenKeeper, type FrozenPayload } from '../../src/adapters/frozen/index.js';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, mqttCfg, quietLog, subscribe, waitFor } from '../uplink/helpers.js';

const BERLIN = 'Europe/Berlin';
const MIN = 60_000;
const H = 60 * MIN;
const withBroker = testWith(['mosquitto']);

const storage = (path: string) => ({ path, maxReadings: 1_000_000, maxBytes: 1 << 30, synchronous: 'normal' as const });

async function keeper(outbox: SqliteOutbox, gw = 'gw1', balance?: (m: string) => Promise<number | undefined>) {
  return FrozenKeeper.open({ outbox, gatewayId: gw, zone: BERLIN, billingDay: () => 28, ...(balance ? { balance } : {}) });
}

/** A meter importing `whPerMin` Wh a minute, read every `everyMs` on the injected clock. */
async function drive(clock: ManualClock, outbox: SqliteOutbox, k: FrozenKeeper, until: number, everyMs: number, wh: { v: number }, skip?: (ts: number) => boolean) {
  while (clock.now() < until) {
    clock.advance(everyMs);
    wh.v += everyMs / MIN;
    if (skip?.(clock.now())) continue;
    const r = { meter: 'm1', ts: clock.now(), values: { energyImport: wh.v, energyExport: 0, power: 60 } };
    await outbox.appendReadings([r]);
    await k.onReading(r);
  }
}

test('over the spring-forward weekend with an injected clock: one daily frozen reading per local midnight, 23 h apart, never twice after a restart', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock({ now: Date.parse('2026-03-27T20:00:00Z') });
  let outbox = await openOutbox(storage(join(dir, 'gw.db')), { clock });
  let k = await keeper(outbox, 'gw1', async () => 4200);
  const wh = { v: 1_000_000 };
  await drive(clock, outbox, k, Date.parse('2026-03-29T12:00:00Z'), 5 * MIN, wh);
  // Restart (a new outbox and keeper on the same file), then on over the next midnight.
  await outbox.close();
  outbox = await openOutbox(storage(join(dir, 'gw.db')), { clock });
  t.teardown(() => outbox.close());
  k = await keeper(outbox, 'gw1', async () => 4200);
  await drive(clock, outbox, k, Date.parse('2026-03-30T12:00:00Z'), 5 * MIN, wh);

  const rows = await outbox.frozen('m1', 'daily');
  t.deepEqual(rows.map((r) => r.period), ['2026-03-28', '2026-03-29', '2026-03-30']);
  t.deepEqual(rows.map((r) => new Date(r.at).toISOString()), ['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
  t.is(rows[2]!.at - rows[1]!.at, 23 * H, 'the spring-forward day is 23 h');
  const v = rows.map((r) => r.value as unknown as FrozenPayload);
  // Each is the first reading at or after its midnight: 5 min later at most, not late.
  t.true(v.every((f) => f.readingTs >= f.at && f.readingTs - f.at < 5 * MIN && !f.late));
  t.is(v[2]!.registers.energyImport! - v[1]!.registers.energyImport!, 23 * 60, 'a 23 h day of 1 Wh a minute');
  t.like(v[0], { id: 'gw1/m1/daily/2026-03-28', gateway: 'gw1', meter: 'm1', kind: 'daily', timezone: BERLIN, balance: 4200 });
  t.false('power' in v[0]!.registers);
  // Monthly on the 28th: 2026-03-28 00:00 CET, taken once.
  t.deepEqual((await outbox.frozen('m1', 'monthly')).map((r) => [r.period, new Date(r.at).toISOString()]), [['2026-03', '2026-03-27T23:00:00.000Z']]);
  // Every frozen reading is an outbox event, once: 4 of them.
  const events = (await outbox.pendingEvents(100)).filter((e) => e.type === 'frozen-reading');
  t.is(events.length, 4);
  // A stored one is refused a second time, whoever asks.
  t.is(await outbox.appendFrozen({ meter: 'm1', kind: 'daily', period: '2026-03-29', at: rows[1]!.at, value: {} }, { ts: clock.now(), type: 'frozen-reading', meter: 'm1', data: {} }), undefined);
  t.is((await outbox.pendingEvents(100)).filter((e) => e.type === 'frozen-reading').length, 4);
});

withBroker('an outage over two midnights: frozen late from the first reading after it, once each, delivered to mosquitto when the broker is back', async (t) => {
  const gw = 'gw-frozen';
  const broker = await startMosquitto(t);
  const clock = new ManualClock({ now: Date.parse('2026-10-23T18:00:00Z') });
  const outbox = await openOutbox(storage(join(tempDir(t), 'gw.db')), { clock });
  t.teardown(() => outbox.close());
  const sub = await subscribe(t, broker.url);
  const uplink = createUplink({ cfg: mqttCfg(broker.url, { clientId: `gw-${gw}` }), gatewayId: gw, outbox, log: quietLog(), version: '9.9.9' });
  t.teardown(() => uplink.stop());
  await uplink.start();
  await waitFor('connected', () => uplink.state().connected);
  await broker.stop();
  await waitFor('disconnected', () => !uplink.state().connected);

  const k = await keeper(outbox, gw);
  const wh = { v: 500 };
  // The meter is read every 10 min, but nothing is read from 2026-10-24 21:00 to 2026-10-26 07:00 UTC
  // (the gateway was down over the midnights of the 25th (25 h day) and the 26th).
  const down = (ts: number) => ts > Date.parse('2026-10-24T21:00:00Z') && ts < Date.parse('2026-10-26T07:00:00Z');
  await drive(clock, outbox, k, Date.parse('2026-10-26T09:00:00Z'), 10 * MIN, wh, down);
  const stored = await outbox.frozen('m1', 'daily');
  t.deepEqual(stored.map((r) => r.period), ['2026-10-24', '2026-10-25', '2026-10-26']);

  await broker.restart();
  const topic = `${PREFIX}/${gw}/meters/m1/frozen`;
  await waitFor('3 frozen readings on the frozen topic and the outbox drained', async () => sub.on(topic).length >= 3 && (await outbox.stats()).events === 0, 30_000);
  const got = sub.on(topic).map((m) => m.json as unknown as FrozenPayload);
  t.deepEqual(got.map((f) => f.id), [`${gw}/m1/daily/2026-10-24`, `${gw}/m1/daily/2026-10-25`, `${gw}/m1/daily/2026-10-26`]);
  t.true(sub.on(topic).every((m) => !m.retain));
  t.false(got[0]!.late, 'the midnight of the 24th was read 10 min after');
  t.true(got[1]!.late && got[2]!.late, 'both midnights in the outage are late');
  // Both late ones are the same first reading after the outage: the registers as they were then.
  t.is(got[1]!.readingTs, got[2]!.readingTs);
  t.deepEqual(got[1]!.registers, got[2]!.registers);
  t.is(got[1]!.readingTs, Date.parse('2026-10-26T07:00:00Z'), 'the first reading after the outage (on the 10 min grid from 18:00)');
  t.is(got[2]!.at - got[1]!.at, 25 * H, 'the fall-back day is 25 h');
  t.false(sub.messages.some((m) => m.topic === `${PREFIX}/${gw}/events` && m.json.type === 'frozen-reading'), 'not on the events topic');
});

test('retention: a daily frozen reading older than FROZEN_KEEP_MS goes in the transaction that stores a new one; monthly ones stay', async (t) => {
  const clock = new ManualClock({ now: Date.parse('2025-01-01T12:00:00Z') });
  const outbox = await openOutbox(storage(join(tempDir(t), 'gw.db')), { clock });
  t.teardown(() => outbox.close());
  const k = await keeper(outbox);
  const wh = { v: 0 };
  // A reading every 6 h for 403 days: 402 or 403 daily and 13 or 14 monthly periods pass.
  await drive(clock, outbox, k, Date.parse('2026-02-08T12:00:00Z'), 6 * H, wh);
  const daily = await outbox.frozen('m1', 'daily');
  const newest = daily.at(-1)!;
  t.is(newest.period, '2026-02-08');
  t.true(daily.every((r) => r.at >= newest.at - FROZEN_KEEP_MS.daily), 'nothing older than 400 days before the newest');
  t.is(daily.length, 401, '400 days back from the newest, both ends included');
  t.is((await outbox.frozen('m1', 'monthly'))[0]!.period, '2025-01', 'monthly ones are kept');
  t.is((await outbox.lastFrozen()).get('m1')?.daily, '2026-02-08');
});
