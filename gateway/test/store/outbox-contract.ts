/**
 * The Outbox contract (gateway/src/core/model.ts), as one suite any implementation can run:
 * `outboxContract('sqlite full', (t) => factory)`. Everything is checked through the public interface.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { ManualClock, type Clock } from '@prepaid-edge/protocols';
import type { NewReading, Outbox, StoredReading } from '../../src/core/model.js';

export interface OutboxFactory {
  /** Open the outbox on the same storage each time (so a second open is a restart). */
  open(opts?: { maxReadings?: number; maxBytes?: number; clock?: Clock }): Promise<Outbox>;
  /** Appends made so far that were committed in fewer transactions than calls, if it can tell. */
  commits?(outbox: Outbox): number;
}

const T0 = 1_763_800_000_000;

function reading(meter: string, i: number): NewReading {
  return { meter, ts: T0 + i * 1000, values: { energyImportWh: 1000 + i, powerW: i % 7, voltageL1: 230.5 } };
}

function seqsOf(rs: readonly StoredReading[], meter: string): number[] {
  return rs.filter((r) => r.meter === meter).map((r) => r.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

async function all(o: Outbox): Promise<StoredReading[]> {
  const out: StoredReading[] = [];
  for (let after = 0; ; ) {
    const page = await o.pendingReadings(1000, after);
    if (page.length === 0) return out;
    out.push(...page);
    after = page.at(-1)!.id;
  }
}

export function outboxContract(name: string, make: (t: ExecutionContext) => OutboxFactory): void {
  const opened = async (t: ExecutionContext, opts?: Parameters<OutboxFactory['open']>[0]) => {
    const f = make(t);
    const o = await f.open(opts);
    t.teardown(() => o.close().catch(() => undefined));
    return { f, o };
  };

  test(`${name}: seq starts at 1 and increases by one per meter; ids increase across meters`, async (t) => {
    const { o } = await opened(t);
    const a = await o.appendReadings([reading('m1', 0), reading('m2', 0), reading('m1', 1)]);
    const b = await o.appendReadings([reading('m2', 1), reading('m1', 2)]);
    t.deepEqual(seqsOf([...a, ...b], 'm1'), [1, 2, 3]);
    t.deepEqual(seqsOf([...a, ...b], 'm2'), [1, 2]);
    const ids = [...a, ...b].map((r) => r.id);
    t.deepEqual(ids, [...ids].sort((x, y) => x - y));
    t.is(new Set(ids).size, ids.length);
    t.deepEqual(a[0]!.values, reading('m1', 0).values);
    t.deepEqual(await all(o), [...a, ...b]);
    t.like(await o.stats(), { readings: 5, events: 0, dropped: 0 });
  });

  test(`${name}: readings, seqs and counters survive close and reopen`, async (t) => {
    const f = make(t);
    const o1 = await f.open();
    const before = await o1.appendReadings(range(0, 9).map((i) => reading('m1', i)));
    const stats = await o1.stats();
    await o1.close();
    const o2 = await f.open();
    t.teardown(() => o2.close());
    t.deepEqual(await all(o2), before);
    t.deepEqual(await o2.stats(), stats);
    const next = await o2.appendReadings([reading('m1', 10), reading('m9', 0)]);
    t.deepEqual(next.map((r) => r.seq), [11, 1]);
    t.true(next[0]!.id > before.at(-1)!.id);
  });

  test(`${name}: a seq (or id) is never reused, even after every reading was deleted and the outbox reopened`, async (t) => {
    const f = make(t);
    const o1 = await f.open();
    const first = await o1.appendReadings(range(0, 4).map((i) => reading('m1', i)));
    await o1.deleteReadings(first.map((r) => r.id));
    t.deepEqual(await all(o1), []);
    t.is((await o1.stats()).readings, 0);
    await o1.close();
    const o2 = await f.open();
    t.teardown(() => o2.close());
    const [again] = await o2.appendReadings([reading('m1', 5)]);
    t.is(again!.seq, 6);
    t.true(again!.id > first.at(-1)!.id);
  });

  test(`${name}: pendingReadings is oldest first, honours limit and afterId`, async (t) => {
    const { o } = await opened(t);
    const rs = await o.appendReadings(range(0, 9).map((i) => reading(i % 2 ? 'a' : 'b', i)));
    t.deepEqual(await o.pendingReadings(3), rs.slice(0, 3));
    t.deepEqual(await o.pendingReadings(3, rs[4]!.id), rs.slice(5, 8));
    t.deepEqual(await o.pendingReadings(100, rs[9]!.id), []);
    t.deepEqual(await o.pendingReadings(0), []);
  });

  test(`${name}: deleteReadings removes exactly those rows; unknown ids are ignored`, async (t) => {
    const { o } = await opened(t);
    const rs = await o.appendReadings(range(0, 5).map((i) => reading('m1', i)));
    await o.deleteReadings([rs[1]!.id, rs[3]!.id, 999_999]);
    await o.deleteReadings([]);
    t.deepEqual(await all(o), [rs[0], rs[2], rs[4], rs[5]]);
    const s = await o.stats();
    t.is(s.readings, 4);
    t.true(s.readingBytes > 0);
    await o.deleteReadings(rs.map((r) => r.id));
    t.like(await o.stats(), { readings: 0, readingBytes: 0 });
  });

  test(`${name}: events are stored, listed oldest first and deleted by id`, async (t) => {
    const { o } = await opened(t);
    const e1 = await o.appendEvent({ ts: T0, type: 'comm-lost', meter: 'm1', data: { bus: 'bus1', lastError: 'E_MODBUS_TIMEOUT: x' } });
    const e2 = await o.appendEvent({ ts: T0 + 1, type: 'gateway-started' });
    t.deepEqual(e1, { id: e1.id, ts: T0, type: 'comm-lost', meter: 'm1', data: { bus: 'bus1', lastError: 'E_MODBUS_TIMEOUT: x' } });
    t.deepEqual(e2, { id: e2.id, ts: T0 + 1, type: 'gateway-started', data: {} });
    t.true(e2.id > e1.id);
    t.deepEqual(await o.pendingEvents(10), [e1, e2]);
    t.deepEqual(await o.pendingEvents(10, e1.id), [e2]);
    await o.deleteEvents([e1.id]);
    t.deepEqual(await o.pendingEvents(10), [e2]);
    t.is((await o.stats()).events, 1);
  });

  test(`${name}: over maxReadings the OLDEST readings are dropped, counted, and a readings-dropped event says so`, async (t) => {
    const clock = new ManualClock({ now: T0 + 42 });
    const { f, o } = await opened(t, { maxReadings: 100, maxBytes: 1 << 30, clock });
    const stored: StoredReading[] = [];
    for (let i = 0; i < 250; i += 10) stored.push(...(await o.appendReadings(range(i, i + 9).map((k) => reading(k % 3 ? 'm1' : 'm2', k)))));
    const left = await all(o);
    const s = await o.stats();
    t.true(left.length <= 100);
    t.true(left.length >= 99 - 10, `kept ${left.length}`); // at most 1% under the bound plus one batch
    t.deepEqual(left, stored.slice(stored.length - left.length), 'what is left is the newest, in order');
    t.is(s.dropped, 250 - left.length);
    t.is(s.readings, left.length);
    const events = await o.pendingEvents(100);
    t.true(events.length > 0);
    t.true(events.every((e) => e.type === 'readings-dropped' && e.ts === T0 + 42));
    t.is(events.reduce((sum, e) => sum + (e.data.count as number), 0), s.dropped);
    t.is(events.at(-1)!.data.total, s.dropped);
    await o.close();
    const again = await f.open({ maxReadings: 100, maxBytes: 1 << 30 });
    t.teardown(() => again.close());
    t.is((await again.stats()).dropped, s.dropped, 'the dropped counter is persisted');
  });

  test(`${name}: over maxBytes the oldest readings are dropped too`, async (t) => {
    const { o } = await opened(t, { maxReadings: 1_000_000, maxBytes: 5_000 });
    for (let i = 0; i < 300; i += 20) await o.appendReadings(range(i, i + 19).map((k) => reading('m1', k)));
    const s = await o.stats();
    t.true(s.readingBytes <= 5_000, `${s.readingBytes} bytes`);
    t.true(s.dropped > 0);
    t.is(s.readings + s.dropped, 300);
    const left = await all(o);
    t.deepEqual(left.map((r) => r.seq), range(301 - left.length, 300));
  });

  test(`${name}: events are never dropped, whatever the bounds`, async (t) => {
    const { o } = await opened(t, { maxReadings: 10, maxBytes: 400 });
    for (let i = 0; i < 50; i++) {
      await o.appendEvent({ ts: T0 + i, type: 'alarm', meter: 'm1', data: { i, text: 'x'.repeat(100) } });
      await o.appendReadings([reading('m1', i)]);
    }
    const alarms = (await o.pendingEvents(1000)).filter((e) => e.type === 'alarm');
    t.deepEqual(alarms.map((e) => e.data.i), range(0, 49));
    t.true((await o.stats()).dropped > 0);
  });

  test(`${name}: concurrent appends are committed together and keep their call order`, async (t) => {
    const { f, o } = await opened(t);
    const before = f.commits?.(o);
    const calls = range(0, 199).map((i) => o.appendReadings([reading(i % 4 === 0 ? 'm2' : 'm1', i)]));
    const ev = o.appendEvent({ ts: T0, type: 'relay', meter: 'm1', data: { closed: true } });
    const results = (await Promise.all(calls)).map((r) => r[0]!);
    await ev;
    t.deepEqual(seqsOf(results, 'm1'), range(1, 150));
    t.deepEqual(seqsOf(results, 'm2'), range(1, 50));
    t.deepEqual(results.map((r) => r.ts), range(0, 199).map((i) => T0 + i * 1000), 'results come back in call order');
    t.deepEqual(await all(o), results);
    if (before !== undefined) {
      const used = f.commits!(o) - before;
      t.true(used < 10, `200 calls took ${used} transactions`);
    }
  });

  test(`${name}: a bad reading is refused with E_STORE_INPUT and does not disturb the others`, async (t) => {
    const { o } = await opened(t);
    const good = o.appendReadings([reading('m1', 0)]);
    const bad: Array<[unknown, string]> = [
      [{ meter: 'm1', ts: T0, values: { p: Number.NaN } }, 'readings[0].values.p'],
      [{ meter: 'm1', ts: T0, values: { p: Infinity } }, 'readings[0].values.p'],
      [{ meter: '', ts: T0, values: {} }, 'readings[0].meter'],
      [{ meter: 'a/b', ts: T0, values: {} }, 'readings[0].meter'],
      [{ meter: 'm+', ts: T0, values: {} }, 'readings[0].meter'],
      [{ meter: 'm1', ts: 1.5, values: {} }, 'readings[0].ts'],
      [{ meter: 'm1', ts: T0, values: [1] }, 'readings[0].values'],
      [{ meter: 'm1', ts: T0, values: { p: '1' } }, 'readings[0].values.p'],
    ];
    for (const [r, path] of bad) {
      const e = await t.throwsAsync(o.appendReadings([r as NewReading]));
      t.like(e, { code: 'E_STORE_INPUT', context: { path } });
    }
    const e = await t.throwsAsync(o.appendEvent({ ts: T0, type: '' }));
    t.like(e, { code: 'E_STORE_INPUT' });
    t.is((await good)[0]!.seq, 1);
    t.is((await o.appendReadings([reading('m1', 1)]))[0]!.seq, 2, 'refused readings took no seq');
  });

  test(`${name}: after close() every call is refused with E_STORE_CLOSED`, async (t) => {
    const f = make(t);
    const o = await f.open();
    const pending = o.appendReadings([reading('m1', 0)]);
    await o.close();
    t.is((await pending)[0]!.seq, 1, 'what was queued before close is committed');
    await o.close();
    for (const p of [o.appendReadings([reading('m1', 1)]), o.appendEvent({ ts: T0, type: 'x' }), o.pendingReadings(1), o.deleteReadings([1])]) {
      t.like(await t.throwsAsync(p as Promise<unknown>), { code: 'E_STORE_CLOSED' });
    }
  });

  test(`${name}: property: any finite values and meter ids round-trip exactly, or are refused with E_STORE_INPUT`, async (t) => {
    const { o } = await opened(t);
    const meterArb = fc.oneof(fc.constantFrom('m1', 'm-2', 'meter.3_x'), fc.string({ minLength: 0, maxLength: 140 }));
    const valueArb = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.MAX_SAFE_INTEGER, 5e-324, 1e308, Number.NaN));
    const readingArb = fc.record({ meter: meterArb, ts: fc.oneof(fc.nat(), fc.double()), values: fc.dictionary(fc.string({ maxLength: 12 }), valueArb, { maxKeys: 6 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(readingArb, { minLength: 1, maxLength: 5 }), async (batch) => {
        let stored: StoredReading[];
        try {
          stored = await o.appendReadings(batch);
        } catch (e) {
          if ((e as { code?: string }).code === 'E_STORE_INPUT') return;
          throw e;
        }
        const back = await o.pendingReadings(batch.length, stored[0]!.id - 1);
        // JSON has no -0: it is stored as 0.
        const norm = (v: Record<string, number>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Object.is(x, -0) ? 0 : x]));
        for (const [i, r] of batch.entries()) {
          const b = back[i]!;
          if (b.meter !== r.meter || b.ts !== r.ts || JSON.stringify(norm(b.values)) !== JSON.stringify(norm(r.values)) || b.id !== stored[i]!.id) throw new Error(`mismatch at ${i}`);
          for (const [k, x] of Object.entries(r.values)) if (!Object.is(b.values[k], Object.is(x, -0) ? 0 : x)) throw new Error(`value ${k} changed`);
        }
      }),
      { numRuns: 150 },
    );
    t.pass();
  });
}
