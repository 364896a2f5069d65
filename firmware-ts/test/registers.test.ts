/**
 * The prepaid register map (protocols/profiles/prepaid.json) as the firmware serves it, through
 * the same request path as the RS-485 port (handleModbusPdu): every register readable, writes
 * validated by range (03), split values (03), read-only addresses (02) and meter state (04).
 */
import test from 'ava';
import fc from 'fast-check';
import { decodeBlock, encodeRequest, EXCEPTION, loadProfile, parseResponse, planReads, registerWidth, type ModbusRequest } from '@prepaid-edge/protocols';
import { EVENT, MODEL_CODE, RELAY, STATUS } from '../src/index.js';
import { i32, rig, T0, u32, u64, words32, words64 } from './helpers/rig.js';

const profile = loadProfile('prepaid');
const exception = (r: ReturnType<ReturnType<typeof rig>['request']>): number | undefined => ('exception' in r ? r.exception : undefined);

test('one read per block returns the whole map, decoded by the shared profile', (t) => {
  const r = rig({ meter: () => ({ voltage: 231.4, current: 4.321, power: 987.6, energyWh: 77, frequency: 49.9, powerFactor: 0.97 }) });
  r.pulse(3);
  r.fw.tick();
  const values: Record<string, number> = {};
  const blocks = planReads(profile.registers);
  t.deepEqual(
    blocks.map((b) => `${b.kind} ${b.address}+${b.count}`),
    ['coil 0+2', 'holding 0+17', 'input 0+32'],
  );
  for (const b of blocks) {
    const req: ModbusRequest = { fc: b.kind === 'coil' ? 0x01 : b.kind === 'holding' ? 0x03 : 0x04, address: b.address, count: b.count };
    const res = r.request(req);
    const words = 'bits' in res ? res.bits.map(Number) : 'registers' in res ? res.registers : [];
    Object.assign(values, decodeBlock(b, words));
  }
  t.like(values, {
    modelCode: MODEL_CODE,
    mapRevision: 1,
    serialNumber: 12345678,
    firmwareVersion: 0x0100,
    voltageL1: 231.4,
    currentL1: 4.321,
    power: 988,
    powerFactor: 0.97,
    frequency: 49.9,
    energyImport: 5003,
    energyExport: 0,
    relayState: RELAY.CONNECTED,
    relayClosed: 1,
    relayCommand: 1,
    eventCounter: 1,
    eventLogCount: 1,
    eventType: EVENT.POWER_UP,
    eventSeq: 1,
    eventTimestamp: Math.floor((T0 + 1_000_000) / 1000),
    creditDecimals: 2,
  });
  t.is(values.status! & STATUS.RELAY_CLOSED, STATUS.RELAY_CLOSED);
  // every register also reads on its own
  for (const d of profile.registers.filter((x) => x.access !== 'w')) {
    const fc = d.kind === 'coil' ? 0x01 : d.kind === 'holding' ? 0x03 : 0x04;
    t.is(exception(r.request({ fc, address: d.address, count: registerWidth(d.type) } as ModbusRequest)), undefined, d.name);
  }
});

test('reads outside the map are exception 02; coils 2-3 read 0', (t) => {
  const r = rig();
  t.is(exception(r.request({ fc: 0x04, address: 30, count: 3 })), EXCEPTION.ILLEGAL_DATA_ADDRESS);
  t.is(exception(r.request({ fc: 0x03, address: 17, count: 1 })), EXCEPTION.ILLEGAL_DATA_ADDRESS);
  t.is(exception(r.request({ fc: 0x02, address: 0, count: 1 })), EXCEPTION.ILLEGAL_DATA_ADDRESS);
  t.deepEqual(r.coils(0, 4), [true, true, false, false]);
});

test('writes: range -> 03, split multi-register value -> 03, read-only -> 02, state refusal -> 04', (t) => {
  const r = rig();
  t.is(exception(r.request({ fc: 0x06, address: 14, value: 5 })), EXCEPTION.ILLEGAL_DATA_VALUE, 'creditDecimals max 4');
  t.is(exception(r.request({ fc: 0x06, address: 15, value: 2 })), EXCEPTION.ILLEGAL_DATA_VALUE, 'reconnectMode max 1');
  t.is(exception(r.request({ fc: 0x10, address: 2, values: words32(-1) })), EXCEPTION.ILLEGAL_DATA_VALUE, 'threshold min 0');
  t.is(exception(r.request({ fc: 0x06, address: 0, value: 1 })), EXCEPTION.ILLEGAL_DATA_VALUE, 'half of creditBalance');
  t.is(exception(r.request({ fc: 0x10, address: 9, values: [0, 0] })), EXCEPTION.ILLEGAL_DATA_VALUE, 'middle of the u64');
  t.is(exception(r.request({ fc: 0x10, address: 8, values: [0xffff, 0xffff, 0xffff, 0xffff] })), EXCEPTION.ILLEGAL_DATA_VALUE, 'u64 beyond 2^53');
  t.is(exception(r.request({ fc: 0x05, address: 0, value: false })), EXCEPTION.ILLEGAL_DATA_ADDRESS, 'relayClosed is read-only');
  t.is(exception(r.request({ fc: 0x05, address: 4, value: true })), EXCEPTION.ILLEGAL_DATA_ADDRESS);
  t.is(exception(r.request({ fc: 0x05, address: 3, value: true })), EXCEPTION.SLAVE_DEVICE_FAILURE, 'emergency credit while not in low credit');
  r.request({ fc: 0x10, address: 8, values: words64(5000) }); // threshold reached: relay opens
  t.is(r.fw.core.state.relay.state, RELAY.DISCONNECTED);
  t.is(exception(r.request({ fc: 0x05, address: 1, value: true })), EXCEPTION.SLAVE_DEVICE_FAILURE, 'close refused at the threshold');
  t.deepEqual(r.coils(0, 2), [false, false]);
  t.false(r.board.relayClosed);
});

test('holding registers round trip; a multi-register write is applied at once and logged per register', (t) => {
  const r = rig();
  const before = r.fw.core.state.events.counter;
  r.request({ fc: 0x10, address: 0, values: [...words32(-1234), ...words32(500), ...words32(100), ...words32(300), ...words64(9_000_000_000)] });
  const w = r.registers(0x03, 0, 17);
  t.is(i32(w, 0), -1234);
  t.is(u32(w, 2), 500);
  t.is(u32(w, 4), 100);
  t.is(u32(w, 6), 300);
  t.is(u64(w, 8), 9_000_000_000);
  const logged = r.fw.core.state.events.log.filter((e) => e.seq > before && e.type === EVENT.SETTING_CHANGED).map((e) => e.value);
  t.deepEqual(logged, [2, 4, 6, 8]);
  const status = r.registers(0x04, 20, 1)[0]!;
  t.is(status & (STATUS.LOW_CREDIT | STATUS.LOW_CREDIT_2 | STATUS.CREDIT_EXHAUSTED), STATUS.LOW_CREDIT | STATUS.LOW_CREDIT_2 | STATUS.CREDIT_EXHAUSTED);
  t.is(exception(r.request({ fc: 0x05, address: 3, value: true })), undefined, 'emergency credit granted in low credit');
  t.is(r.registers(0x04, 20, 1)[0]! & STATUS.EMERGENCY_CREDIT, STATUS.EMERGENCY_CREDIT);
});

test('relay commands and the event window: write index, read type/seq/time/value; reconnect mode arms only', (t) => {
  const r = rig();
  r.request({ fc: 0x05, address: 1, value: false });
  r.request({ fc: 0x06, address: 15, value: 1 });
  r.request({ fc: 0x05, address: 1, value: true });
  t.is(r.fw.core.state.relay.state, RELAY.READY);
  t.false(r.board.relayClosed, 'armed, not closed');
  const readEvent = (index: number) => {
    r.request({ fc: 0x06, address: 16, value: index });
    const w = r.registers(0x04, 24, 8);
    return { count: w[0], type: w[1], seq: u32(w, 2), ts: u32(w, 4), value: i32(w, 6) };
  };
  t.like(readEvent(0), { type: EVENT.ARMED, seq: 4 });
  t.like(readEvent(1), { type: EVENT.SETTING_CHANGED, value: 15 });
  t.like(readEvent(2), { type: EVENT.RELAY_OPENED, value: 1 });
  t.like(readEvent(3), { type: EVENT.POWER_UP, seq: 1 });
  t.like(readEvent(4), { type: 0, seq: 0, ts: 0, value: 0 });
  t.is(readEvent(0).count, 4);
});

test('fuzz: any PDU gets a well-formed reply or an exception, never a throw', (t) => {
  const r = rig();
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 260 }), (pdu) => {
      const reply = r.fw.handleModbusPdu(pdu);
      return Buffer.isBuffer(reply) && reply.length >= 2;
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.constantFrom(0x01, 0x03, 0x04), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 40 }), (fcode, address, count) => {
      const req = { fc: fcode, address, count } as ModbusRequest;
      const res = parseResponse(r.fw.handleModbusPdu(encodeRequest(req)), req);
      return 'exception' in res ? res.exception === EXCEPTION.ILLEGAL_DATA_ADDRESS : true;
    }),
  );
  t.pass();
});
