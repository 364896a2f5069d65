/**
 * State records and the two-slot store: checksum and shape checks reject every damaged record
 * (with a PrepaidError naming where), a damaged slot falls back to the other one, both damaged
 * boots from factory state with the relay open, and what is saved is always the state the core holds.
 */
import test from 'ava';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPrepaidError } from '@prepaid-edge/protocols';
import { decodeStateRecord, FileSlots, freshState, MemorySlots, RELAY, StateCodec, StateStore } from '../src/index.js';
import { rig } from './helpers/rig.js';

const fresh = () => freshState({ initialEnergyWh: 123, initialRelay: 'connected', line: { unitId: 5, baudRate: 19200, parity: 'even' }, clockSet: true });

test('a record round-trips, and every byte flip or truncation is caught with an offset or path', (t) => {
  const state = fresh();
  state.events = { counter: 2, log: [{ seq: 1, type: 15, ts: 1, value: 0 }, { seq: 2, type: 16, ts: 2, value: 8 }] };
  state.tids = [5, 9];
  const rec = new StateCodec().encode(state, 7);
  t.deepEqual(decodeStateRecord(rec), { gen: 7, state });
  fc.assert(
    fc.property(fc.nat({ max: rec.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const damaged = rec.slice(0, i) + String.fromCharCode(rec.charCodeAt(i) ^ x) + rec.slice(i + 1);
      try {
        decodeStateRecord(damaged);
        return false;
      } catch (e) {
        return isPrepaidError(e) && e.code === 'E_STORE_CORRUPT' && (e.context.offset !== undefined || e.context.path !== undefined);
      }
    }),
    { numRuns: 1000 },
  );
  for (let n = 0; n < rec.length; n += 7) t.throws(() => decodeStateRecord(rec.slice(0, n)), { code: 'E_STORE_CORRUPT' });
});

test('fuzz: random text never decodes and never throws anything but E_STORE_CORRUPT', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string().map((s) => `PESTATE/1 ${s.length} 00000000\n${s}`)), (s) => {
      try {
        decodeStateRecord(s);
        return false;
      } catch (e) {
        return isPrepaidError(e) && e.code === 'E_STORE_CORRUPT';
      }
    }),
  );
  t.pass();
});

test('a record with a good checksum but a wrong shape is refused, naming the field', (t) => {
  const bad = { ...fresh(), relay: { state: 7, command: 1, openReason: 0 } };
  t.throws(() => decodeStateRecord(new StateCodec().encode(bad as never, 1)), { code: 'E_STORE_CORRUPT', message: /relay\.state/ });
});

test('generations alternate slots; the newest valid slot wins; a damaged slot falls back to the other', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-slots-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const slots = new FileSlots(dir);
  const store = new StateStore(slots);
  const s = fresh();
  store.save(s); // gen 1 -> slot B
  s.energy.importWh = 200;
  store.save(s); // gen 2 -> slot A
  const again = new StateStore(slots).load();
  t.is(again.gen, 2);
  t.is(again.slot, 0);
  t.is(again.state!.energy.importWh, 200);
  writeFileSync(slots.path(0), readFileSync(slots.path(0), 'utf8').slice(0, 100)); // torn write on a filesystem without atomic rename
  const fallback = new StateStore(slots).load();
  t.is(fallback.slot, 1);
  t.is(fallback.state!.energy.importWh, 123);
  t.deepEqual(fallback.rejected.map((r) => [r.slot, r.error.code]), [[0, 'E_STORE_CORRUPT']]);
});

test('both slots damaged: the firmware starts from factory state with the relay open and says so', (t) => {
  const storage = new MemorySlots();
  storage.write(0, 'PESTATE/1 garbage');
  storage.write(1, 'also garbage');
  const r = rig({ storage });
  t.true(r.fw.boot.stateLost);
  t.is(r.fw.core.state.relay.state, RELAY.DISCONNECTED);
  t.false(r.board.relayClosed);
});

test('property: after any sequence of inputs the newest saved record is exactly the state the core holds', (t) => {
  type Op = { k: 'pulse' | 'open' | 'close' | 'tick' | 'cover' | 'clear' | 'threshold' | 'balance'; v: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.constantFrom<Op>({ k: 'pulse', v: 0 }, { k: 'open', v: 0 }, { k: 'close', v: 0 }, { k: 'tick', v: 0 }, { k: 'cover', v: 0 }, { k: 'clear', v: 0 }),
    fc.integer({ min: 0, max: 5100 }).map((v): Op => ({ k: 'threshold', v })),
    fc.integer({ min: -1000, max: 1000 }).map((v): Op => ({ k: 'balance', v })),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const storage = new MemorySlots();
      const r = rig({ storage, config: { eventLogCapacity: 10 } });
      for (const o of ops) {
        if (o.k === 'pulse') r.pulse(1);
        else if (o.k === 'open' || o.k === 'close') r.request({ fc: 0x05, address: 1, value: o.k === 'close' });
        else if (o.k === 'tick') {
          r.clock.advance(400_000);
          r.fw.tick();
        } else if (o.k === 'cover') {
          r.board.setCover(true);
          r.clock.advance(100);
          r.board.setCover(false);
        } else if (o.k === 'clear') r.request({ fc: 0x05, address: 2, value: true });
        else if (o.k === 'threshold') r.request({ fc: 0x10, address: 8, values: [0, 0, 0, o.v] });
        else r.request({ fc: 0x10, address: 0, values: [o.v < 0 ? 0xffff : 0, o.v & 0xffff] });
      }
      const loaded = new StateStore(storage).load();
      r.fw.stop();
      return isDeepStrictEqual(loaded.state, r.fw.core.state);
    }),
    { numRuns: 150 },
  );
  t.pass();
});
