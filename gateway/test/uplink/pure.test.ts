/** The uplink's pure parts: backoff, topics, batching, payload shapes, client options. */
import test from 'ava';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredReading } from '../../src/core/model.js';
import { clientOptions } from '../../src/adapters/uplink/client-options.js';
import { backoffDelay, batchReadings, eventPayload, offlinePayload, onlinePayload, readingsPayload, topicsFor } from '../../src/adapters/uplink/index.js';
import { tempDir } from '../store/temp-dir.js';
import { mqttCfg } from './helpers.js';

test('backoff doubles from min, stays within [min, max] and is jittered, even at the cap', (t) => {
  const lo = () => 0;
  const hi = () => 0.999999;
  t.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, 1000, 60_000, hi)), [2000, 4000, 8000, 16000]);
  t.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, 1000, 60_000, lo)), [1000, 2000, 4000, 8000]);
  t.is(backoffDelay(50, 1000, 60_000, hi), 60_000);
  t.is(backoffDelay(50, 1000, 60_000, lo), 30_000);
  t.is(backoffDelay(1e9, 1000, 60_000, lo), 30_000, 'no overflow for huge attempt counts');
  fc.assert(
    fc.property(fc.nat(200), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, min, max, r) => {
      const d = backoffDelay(attempt, min, max, () => r);
      return Number.isInteger(d) && d >= min && d <= Math.max(min, max);
    }),
  );
});

test('topics', (t) => {
  const tp = topicsFor('prepaid-edge/', 'gw-01');
  t.is(tp.status, 'prepaid-edge/gw-01/status');
  t.is(tp.events, 'prepaid-edge/gw-01/events');
  t.is(tp.readings('m1'), 'prepaid-edge/gw-01/meters/m1/readings');
  t.is(tp.health('m1'), 'prepaid-edge/gw-01/meters/m1/health');
});

const r = (id: number, meter: string, seq: number): StoredReading => ({ id, meter, seq, ts: 1000 * id, values: { e: id } });

test('batchReadings: one meter per message, at most batchSize, seq order kept, historical and live never mixed', (t) => {
  const rows = [r(1, 'a', 1), r(2, 'b', 1), r(3, 'a', 2), r(4, 'a', 3), r(5, 'b', 2), r(6, 'a', 4)];
  const batches = batchReadings(rows, 2, (x) => x.id <= 4);
  t.deepEqual(
    batches.map((b) => [b.meter, b.historical, b.readings.map((x) => x.seq)]),
    [
      ['a', true, [1, 2]],
      ['b', true, [1]],
      ['a', true, [3]],
      ['b', false, [2]],
      ['a', false, [4]],
    ],
  );
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 200 }), fc.integer({ min: 1, max: 20 }), fc.nat(200), (meters, size, mark) => {
      const seqs = new Map<string, number>();
      const input = meters.map((m, i) => {
        const s = (seqs.get(m) ?? 0) + 1;
        seqs.set(m, s);
        return r(i + 1, m, s);
      });
      const out = batchReadings(input, size, (x) => x.id <= mark);
      const flat = out.flatMap((b) => b.readings);
      if (flat.length !== input.length || new Set(flat.map((x) => x.id)).size !== input.length) return false;
      for (const b of out) if (b.readings.length > size || b.readings.some((x) => x.meter !== b.meter || x.id <= mark !== b.historical)) return false;
      for (const m of seqs.keys()) {
        const got = flat.filter((x) => x.meter === m).map((x) => x.seq);
        if (got.some((s, i) => s !== i + 1)) return false;
      }
      return true;
    }),
  );
});

test('payload shapes are the documented contract', (t) => {
  t.deepEqual(JSON.parse(readingsPayload({ meter: 'm1', historical: false, readings: [{ id: 9, meter: 'm1', seq: 41, ts: 1763800000000, values: { energyImportWh: 12 } }] })), {
    meter: 'm1',
    readings: [{ seq: 41, ts: 1763800000000, values: { energyImportWh: 12 } }],
    historical: false,
  });
  t.deepEqual(JSON.parse(eventPayload({ id: 3, ts: 5, type: 'readings-dropped', data: { count: 10, total: 30 } })), { id: 3, ts: 5, type: 'readings-dropped', data: { count: 10, total: 30 } });
  t.deepEqual(JSON.parse(onlinePayload({ version: '0.1.0', startedAt: 7 }, 9, 1234.4)), { state: 'online', version: '0.1.0', startedAt: 7, uptimeMs: 1234, ts: 9 });
  t.deepEqual(JSON.parse(offlinePayload({ version: '0.1.0', startedAt: 7 }, 'connection-lost')), { state: 'offline', reason: 'connection-lost', version: '0.1.0', startedAt: 7 });
});

test('client options: fixed client id, clean=false for a persistent session, no MQTT.js auto-reconnect, will retained QoS 1, TLS files read', (t) => {
  const dir = tempDir(t);
  for (const f of ['ca', 'cert', 'key']) writeFileSync(join(dir, `${f}.pem`), `-----${f}-----`);
  const will = { topic: 'p/gw/status', payload: '{"state":"offline"}' };
  const o = clientOptions(
    mqttCfg('mqtts://broker:8883', { clientId: 'gw-01', keepaliveSec: 45, username: 'u', password: 'p', tls: { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), rejectUnauthorized: false } }),
    will,
    5000,
  );
  t.like(o, { clientId: 'gw-01', clean: false, keepalive: 45, reconnectPeriod: 0, connectTimeout: 5000, username: 'u', password: 'p', rejectUnauthorized: false, protocolVersion: 4 });
  t.like(o.will, { topic: 'p/gw/status', qos: 1, retain: true });
  t.is(String(o.will!.payload), will.payload);
  t.is(String(o.ca), '-----ca-----');
  t.is(String(o.cert), '-----cert-----');
  t.is(String(o.key), '-----key-----');
  t.like(clientOptions(mqttCfg('mqtt://b', { persistentSession: false }), will, 1), { clean: true });
  t.false('ca' in clientOptions(mqttCfg('mqtt://b'), will, 1));
  t.like(t.throws(() => clientOptions(mqttCfg('http://b'), will, 1)), { code: 'E_MQTT_CONFIG', context: { path: 'mqtt.url' } });
  t.like(t.throws(() => clientOptions(mqttCfg('not a url'), will, 1)), { code: 'E_MQTT_CONFIG' });
  t.like(t.throws(() => clientOptions(mqttCfg('mqtts://b', { tls: { cert: join(dir, 'cert.pem'), rejectUnauthorized: true } }), will, 1)), { code: 'E_MQTT_CONFIG', context: { path: 'mqtt.tls.key' } });
});
