/** The uplink against a real mosquitto: what arrives, in what order, and what is left in the outbox. */
import { join } from 'node:path';
import { ManualClock } from '@prepaid-edge/protocols';
import type { NewReading } from '../../src/core/model.js';
import { openOutbox, type SqliteOutbox } from '../../src/adapters/store/index.js';
import { createUplink, type Uplink, type UplinkOptions } from '../../src/adapters/uplink/index.js';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, mqttCfg, quietLog, range, seqCensus, subscribe, waitFor } from './helpers.js';

const test = testWith(['mosquitto']);
const T0 = 1_763_800_000_000;

async function rig(t: import('ava').ExecutionContext, gw: string, cfgOver: Parameters<typeof mqttCfg>[1] = {}, over: Partial<UplinkOptions> = {}) {
  const broker = await startMosquitto(t);
  const outbox = await openOutbox({ path: join(tempDir(t), 'outbox.db'), maxReadings: 1_000_000, maxBytes: 1 << 30, synchronous: 'normal' });
  t.teardown(() => outbox.close());
  const sub = await subscribe(t, broker.url);
  const make = () => {
    const u = createUplink({ cfg: mqttCfg(broker.url, { clientId: `gw-${gw}`, ...cfgOver }), gatewayId: gw, outbox, log: quietLog(), version: '9.9.9', startedAt: T0, ...over });
    t.teardown(() => u.stop());
    return u;
  };
  return { broker, outbox, sub, make };
}

function readings(meter: string, from: number, n: number): NewReading[] {
  return range(from, from + n - 1).map((i) => ({ meter, ts: T0 + i * 1000, values: { energyImportWh: 5000 + i, powerW: 230.25 } }));
}

async function drained(outbox: SqliteOutbox, uplink: Uplink): Promise<boolean> {
  const s = await outbox.stats();
  return s.readings === 0 && s.events === 0 && uplink.state().inflight === 0;
}

test('readings arrive once each, per meter in seq order, at most batchSize per message; rows are deleted after PUBACK', async (t) => {
  const gw = 'gw-order';
  const { outbox, sub, make } = await rig(t, gw, { batchSize: 40, inflight: 4 });
  for (let i = 0; i < 300; i += 30) await outbox.appendReadings([...readings('m1', i, 15), ...readings('m2', i, 10), ...readings('m3', i, 5)]);
  const uplink = make();
  await uplink.start();
  await waitFor('first connection', () => uplink.state().connected);
  // Stored while connected: live.
  await outbox.appendReadings(readings('m1', 1000, 20));
  await waitFor('all 320 readings received and the outbox empty', async () => sub.readings(gw).length >= 320 && (await drained(outbox, uplink)));

  const got = sub.readings(gw);
  t.is(got.length, 320, 'no duplicates on a steady connection');
  t.deepEqual(got.filter((r) => r.meter === 'm1').map((r) => r.seq), range(1, 170));
  t.deepEqual(got.filter((r) => r.meter === 'm2').map((r) => r.seq), range(1, 100));
  t.deepEqual(got.filter((r) => r.meter === 'm3').map((r) => r.seq), range(1, 50));
  const first = got.find((r) => r.meter === 'm2' && r.seq === 1)!;
  t.deepEqual(first, { meter: 'm2', seq: 1, ts: T0, values: { energyImportWh: 5000, powerW: 230.25 }, historical: true });
  t.true(got.filter((r) => r.meter === 'm1' && r.seq <= 150).every((r) => r.historical), 'stored before the connection came up: historical');
  t.true(got.filter((r) => r.meter === 'm1' && r.seq > 150).every((r) => !r.historical), 'stored while connected: live');
  const msgs = sub.readingMessages(gw);
  t.true(msgs.every((m) => m.readings.length >= 1 && m.readings.length <= 40));
  t.true(msgs.every((m) => sub.messages.some((x) => x.topic === `${PREFIX}/${gw}/meters/${m.meter}/readings`)));
  t.like(uplink.state(), { connected: true, connects: 1, inflight: 0, published: { readings: 320, readingMessages: msgs.length } });
  t.like(await outbox.stats(), { readings: 0, readingBytes: 0 });
});

test('status is online (retained) on connect and offline "stopped" (retained) after a clean stop', async (t) => {
  const gw = 'gw-status';
  const { broker, sub, make } = await rig(t, gw);
  const uplink = make();
  await uplink.start();
  await waitFor('online status', () => sub.on(`${PREFIX}/${gw}/status`).length > 0);
  t.like(sub.on(`${PREFIX}/${gw}/status`)[0]!.json, { state: 'online', version: '9.9.9', startedAt: T0 });
  t.is(typeof sub.on(`${PREFIX}/${gw}/status`)[0]!.json.uptimeMs, 'number');
  await uplink.stop();
  await waitFor('offline status', () => sub.on(`${PREFIX}/${gw}/status`).length > 1);
  t.like(sub.on(`${PREFIX}/${gw}/status`)[1]!.json, { state: 'offline', reason: 'stopped', version: '9.9.9', startedAt: T0 });
  // A newcomer gets the retained status: still "stopped", the clean DISCONNECT suppressed the will.
  const late = await subscribe(t, broker.url);
  await waitFor('retained status for a new subscriber', () => late.on(`${PREFIX}/${gw}/status`).length > 0);
  t.like(late.on(`${PREFIX}/${gw}/status`)[0], { retain: true, json: { state: 'offline', reason: 'stopped' } });
});

test('events go one per message to {prefix}/{gw}/events and are deleted after PUBACK', async (t) => {
  const gw = 'gw-events';
  const { outbox, sub, make } = await rig(t, gw);
  const e1 = await outbox.appendEvent({ ts: T0, type: 'comm-lost', meter: 'm1', data: { bus: 'bus1', lastError: 'E_MODBUS_TIMEOUT: no reply', lastSeen: T0 - 5000 } });
  const uplink = make();
  await uplink.start();
  const e2 = await outbox.appendEvent({ ts: T0 + 9000, type: 'comm-restored', meter: 'm1', data: { bus: 'bus1', downMs: 9000 } });
  await waitFor('two events', async () => sub.on(`${PREFIX}/${gw}/events`).length >= 2 && (await drained(outbox, uplink)));
  t.deepEqual(sub.on(`${PREFIX}/${gw}/events`).map((m) => m.json), [
    { id: e1.id, ts: T0, type: 'comm-lost', meter: 'm1', data: { bus: 'bus1', lastError: 'E_MODBUS_TIMEOUT: no reply', lastSeen: T0 - 5000 } },
    { id: e2.id, ts: T0 + 9000, type: 'comm-restored', meter: 'm1', data: { bus: 'bus1', downMs: 9000 } },
  ]);
  t.is(uplink.state().published.events, 2);
});

test('health is published retained per meter, and again after a reconnect', async (t) => {
  const gw = 'gw-health';
  const { broker, sub, make } = await rig(t, gw);
  const uplink = make();
  uplink.publishHealth('m7', { meter: 'm7', state: 'unknown' }); // before start: kept, sent on connect
  await uplink.start();
  await waitFor('first health', () => sub.on(`${PREFIX}/${gw}/meters/m7/health`).length >= 1);
  uplink.publishHealth('m7', { meter: 'm7', state: 'ok', polls: 3 });
  await waitFor('second health', () => sub.on(`${PREFIX}/${gw}/meters/m7/health`).length >= 2);
  t.like(sub.on(`${PREFIX}/${gw}/meters/m7/health`)[1]!.json, { meter: 'm7', state: 'ok', polls: 3 });
  t.is(typeof sub.on(`${PREFIX}/${gw}/meters/m7/health`)[1]!.json.ts, 'number');
  const late = await subscribe(t, broker.url);
  await waitFor('retained health', () => late.on(`${PREFIX}/${gw}/meters/m7/health`).length > 0);
  t.like(late.on(`${PREFIX}/${gw}/meters/m7/health`)[0], { retain: true, json: { state: 'ok' } });
  await broker.restart();
  await waitFor('reconnected', () => uplink.state().connects >= 2);
  await waitFor('health republished', () => sub.on(`${PREFIX}/${gw}/meters/m7/health`).length >= 3);
  t.like(sub.on(`${PREFIX}/${gw}/meters/m7/health`).at(-1)!.json, { state: 'ok', polls: 3 });
});

test('broker down for a while: nothing is published meanwhile, nothing is lost, the backlog is historical, no reconnect flood', async (t) => {
  const gw = 'gw-outage';
  const { broker, outbox, sub, make } = await rig(t, gw, { batchSize: 25, inflight: 4 });
  const uplink = make();
  await uplink.start();
  await waitFor('connected', () => uplink.state().connected);
  let i = 0;
  const appendSome = () => outbox.appendReadings([...readings('m1', i, 3), ...readings('m2', i, 2)]).then((rs) => ((i += 3), rs));
  for (let k = 0; k < 40; k++) await appendSome();
  await waitFor('some readings forwarded', () => sub.readings(gw).length >= 50);

  await broker.stop();
  await waitFor('uplink sees the broker gone', () => !uplink.state().connected);
  const publishedAtDrop = uplink.state().published;
  const duringOutage: Array<{ meter: string; seq: number }> = [];
  for (let k = 0; k < 40; k++) duringOutage.push(...(await appendSome()));
  await waitFor('several reconnect attempts fail', () => uplink.state().reconnects >= 4);
  t.deepEqual(uplink.state().published, publishedAtDrop, 'nothing acknowledged while the broker is down');
  t.is(uplink.state().inflight, 0);
  t.true((await outbox.stats()).readings >= duringOutage.length, 'the backlog waits in the outbox');

  await broker.restart();
  await waitFor('reconnected', () => uplink.state().connected);
  for (let k = 0; k < 10; k++) await appendSome();
  const last = await outbox.lastSeqs();
  await waitFor('everything delivered', async () => (await drained(outbox, uplink)) && sub.readings(gw).length >= last.m1! + last.m2!);

  const census = seqCensus(sub.readings(gw));
  t.deepEqual([...census.get('m1')!.keys()].sort((a, b) => a - b), range(1, last.m1!), 'm1: every seq arrived');
  t.deepEqual([...census.get('m2')!.keys()].sort((a, b) => a - b), range(1, last.m2!), 'm2: every seq arrived');
  // Only the messages in flight when the broker went away are sent again; every reading is
  // acknowledged exactly once. (The subscriber may still see more copies: QoS 1 redelivery by the broker.)
  t.is(uplink.state().published.readings, last.m1! + last.m2!, 'each reading acknowledged exactly once: no replay flood');
  const key = (r: { meter: string; seq: number }) => `${r.meter}/${r.seq}`;
  const outageKeys = new Set(duringOutage.map(key));
  const outageCopies = sub.readings(gw).filter((r) => outageKeys.has(key(r)));
  t.is(outageCopies.length, duringOutage.length, 'each reading stored during the outage arrived exactly once');
  t.true(outageCopies.every((r) => r.historical), 'and flagged historical');
});

test('lingerMs: live readings wait for the linger and go together, the backlog and events do not wait', async (t) => {
  const gw = 'gw-linger';
  const LINGER = 3000;
  // The linger runs on a manual clock: the broker is real, the wait is not slept.
  const clock = new ManualClock({ now: T0 });
  const { outbox, sub, make } = await rig(t, gw, { batchSize: 50, inflight: 4, lingerMs: LINGER }, { clock });
  await outbox.appendReadings(readings('m1', 0, 30)); // backlog: stored before the connection
  const uplink = make();
  await uplink.start();
  await waitFor('the backlog, at once', () => sub.readings(gw).length >= 30, LINGER - 500);
  t.true(sub.readings(gw).every((r) => r.historical));

  const t0 = clock.monotonic(); // before the first live commit: no live reading may arrive before t0 + LINGER
  for (let i = 0; i < 4; i++) {
    await outbox.appendReadings([...readings('m1', 100 + i, 1), ...readings('m2', 100 + i, 1)]);
    await new Promise((r) => setTimeout(r, 50));
  }
  await outbox.appendEvent({ ts: T0, type: 'comm-lost', meter: 'm2', data: {} });
  await waitFor('the event', () => sub.on(`${PREFIX}/${gw}/events`).length === 1, 10_000);
  const eventAt = sub.messages.findIndex((m) => m.topic === `${PREFIX}/${gw}/events`);

  await new Promise((r) => setTimeout(r, 200)); // real time for anything wrongly sent at once to arrive
  t.is(sub.readings(gw).length, 30, 'no live reading before the linger');
  await clock.advanceAsync(LINGER);
  await waitFor('the 8 live readings', () => sub.readings(gw).length >= 38, 10_000);
  const liveAfter = clock.monotonic() - t0;
  t.true(liveAfter >= LINGER, `live readings waited for the linger (${liveAfter} ms)`);
  const firstLiveAt = sub.messages.findIndex((m) => m.topic.endsWith('/readings') && (m.json as { historical?: boolean }).historical === false);
  t.true(eventAt < firstLiveAt, 'the event, stored after the readings, did not wait for them');
  const live = sub.readingMessages(gw).filter((m) => !m.historical);
  t.deepEqual(live.map((m) => [m.meter, m.readings.length]).sort(), [['m1', 4], ['m2', 4]], 'one message per meter with all four polls');
  await waitFor('outbox empty', async () => drained(outbox, uplink), 5000);
  t.like(uplink.state(), { published: { readings: 38, events: 1 } });
});

test('lingerMs: a pile of readAhead unreleased readings goes at once', async (t) => {
  const gw = 'gw-linger-pile';
  const broker = await startMosquitto(t);
  const outbox = await openOutbox({ path: join(tempDir(t), 'outbox.db'), maxReadings: 1_000_000, maxBytes: 1 << 30, synchronous: 'normal' });
  t.teardown(() => outbox.close());
  const sub = await subscribe(t, broker.url);
  const uplink = createUplink({ cfg: mqttCfg(broker.url, { clientId: `gw-${gw}`, lingerMs: 60_000 }), gatewayId: gw, outbox, log: quietLog(), version: '9.9.9', readAhead: 100 });
  t.teardown(() => uplink.stop());
  await uplink.start();
  await waitFor('connected', () => uplink.state().connected);
  await outbox.appendReadings(readings('m1', 0, 99));
  await new Promise((r) => setTimeout(r, 300));
  t.is(sub.readings(gw).length, 0, '99 readings still linger');
  await outbox.appendReadings(readings('m1', 99, 1));
  await waitFor('100 readings, long before the 60 s linger', () => sub.readings(gw).length >= 100, 5000);
  t.deepEqual(sub.readings(gw).map((r) => r.seq), range(1, 100));
});
