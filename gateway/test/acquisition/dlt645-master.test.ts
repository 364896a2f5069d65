/** Dlt645Master against the simulator's DL/T 645 meters on a real serial line (socat pty pair). */
import { Dlt645AbnormalError, isPrepaidError, PrepaidError } from '@prepaid-edge/protocols';
import { BusQueue } from '../../src/adapters/acquisition/bus-queue.js';
import { Dlt645Master } from '../../src/adapters/acquisition/dlt645-master.js';
import { ModbusSerialMaster } from '../../src/adapters/acquisition/modbus-transport.js';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { DLT_A, DLT_B, dlt645Rig } from './dlt645-rig.js';

const test = testWith(['socat']);

async function failure(p: Promise<unknown>): Promise<PrepaidError> {
  try {
    await p;
  } catch (e) {
    if (isPrepaidError(e)) return e;
    throw e;
  }
  throw new Error('expected a PrepaidError');
}

test('readData returns the true values of two DL/T 645 meters on a line shared with Modbus meters', async (t) => {
  const { sim, clock, master } = await dlt645Rig(t);
  clock.advance(3_600_000);
  for (const [address, unit] of [[DLT_A, 3], [DLT_B, 4]] as const) {
    const s = sim.trueState(unit).snapshot;
    const energy = await master.readData(address, '00010000');
    t.like(energy, { di: '00010000', measurement: 'energyImport', unit: 'Wh' });
    t.is(energy.value, Math.floor(s.energyImportWh / 10) * 10, 'XXXXXX.XX kWh: whole 10 Wh steps, truncated');
    t.true(Number.isInteger(energy.value));
    t.is((await master.readData(address, '02010100')).value, Math.round(s.voltage[0]! * 10) / 10);
    t.is((await master.readData(address, '02020100')).value, Math.round(s.current[0]! * 1000) / 1000);
    t.is((await master.readData(address, '02030000')).value, Math.round(s.power * 10) / 10);
    t.is((await master.readData(address, '02800002')).value, Math.round(s.frequency * 100) / 100);
  }
  t.is(master.stats.damaged, 0, 'the Modbus meters on the line stayed silent to DL/T 645 frames');
  t.is(master.stats.timeouts, 0);
  // The same line then serves a Modbus master (one device holder at a time, as on a real adapter).
  await master.close();
  const modbus = new ModbusSerialMaster({ id: 'dlt', type: 'rtu', path: master.bus.path, baudRate: 9600, parity: 'even', stopBits: 1, timeoutMs: 1500, interFrameDelayMs: 0 });
  t.teardown(() => modbus.close());
  t.is((await modbus.read(1, 'input', 0, 2)).length, 2, 'an SDM120 on the same line still answers');
});

test('requests queue one at a time on the bus queue: ten concurrent reads all answer', async (t) => {
  const queue = new BusQueue();
  const { master } = await dlt645Rig(t, {}, { queue });
  const dis = ['00010000', '02010100', '02020100', '02030000', '02800002'];
  const results = await Promise.all([...dis, ...dis].map((di, i) => master.readData(i % 2 ? DLT_A : DLT_B, di)));
  t.deepEqual(results.map((r) => r.di), [...dis, ...dis]);
  t.is(queue.transactions, 10);
  t.is(master.stats.transactions, 10);
});

test('relay trip, close-directly and readback through run status word 3', async (t) => {
  const { sim, master } = await dlt645Rig(t);
  t.is(await master.readRelayState(DLT_A), 'closed');
  await master.relayControl(DLT_A, 'trip', { password: '123456', operator: '00000001' });
  t.false(sim.trueState(3).relayClosed);
  t.true(sim.trueState(4).relayClosed, 'only the addressed meter tripped');
  t.is(await master.readRelayState(DLT_A), 'open');
  t.is((await master.readStatusWord3(DLT_A)) & 0x10, 0x10);
  await master.relayControl(DLT_A, 'close-directly');
  t.true(sim.trueState(3).relayClosed);
  t.is(await master.readRelayState(DLT_A), 'closed');
  // Readback reports the relay, not the last command: a relay opened at the meter shows open.
  sim.setRelay(4, false);
  t.is(await master.readRelayState(DLT_B), 'open');
  await master.relayControl(DLT_B, 'close-allowed');
  t.is(master.stats.abnormal, 0);
});

test('an absent address times out with E_DLT645_TIMEOUT after timeoutMs, and the line stays usable', async (t) => {
  const { master } = await dlt645Rig(t, { timeoutMs: 1000 });
  const started = performance.now();
  const e = await failure(master.readData('000000000099', '00010000'));
  const took = performance.now() - started;
  t.is(e.code, 'E_DLT645_TIMEOUT');
  t.like(e.context, { bus: 'dlt', address: '000000000099', timeoutMs: 1000 });
  t.true(took >= 990 && took < 4000, `took ${took} ms`);
  t.is((await master.readData(DLT_A, '00010000')).di, '00010000');
  t.is(master.stats.timeouts, 1);
});

test('an abnormal reply throws E_DLT645_ERROR with the error byte; the next request is unaffected', async (t) => {
  const { master } = await dlt645Rig(t);
  const e = await failure(master.readRaw(DLT_A, '04009999')); // a data identifier this meter does not serve
  t.true(e instanceof Dlt645AbnormalError);
  t.is(e.code, 'E_DLT645_ERROR');
  t.like(e.context, { errorByte: 0x02, errors: ['noRequestedData'], functionCode: 0x11, address: DLT_A, bus: 'dlt' });
  t.is(master.stats.abnormal, 1);
  t.is(await master.readRelayState(DLT_A), 'closed');
});

test('a reply with a bad checksum fails fast with E_FRAME_CHECKSUM, not after the timeout', async (t) => {
  const { sim, master } = await dlt645Rig(t, { timeoutMs: 10_000 });
  sim.addFault(3, { type: 'badCrc', rate: 1 });
  const started = performance.now();
  const e = await failure(master.readData(DLT_A, '00010000'));
  t.is(e.code, 'E_FRAME_CHECKSUM');
  t.like(e.context, { bus: 'dlt', address: DLT_A, detail: 'E_FRAME_CHECKSUM' });
  t.true(performance.now() - started < 5000, 'did not wait for the 10 s timeout');
  sim.clearFaults(3);
  t.is((await master.readData(DLT_A, '00010000')).di, '00010000');
  t.is(master.stats.damaged, 1);
});

test('the line opens lazily, reopens after close(), and a missing device is E_BUS_UNAVAILABLE', async (t) => {
  const { master, bus } = await dlt645Rig(t);
  t.is(master.stats.opens, 0, 'nothing opened before the first request');
  await master.readData(DLT_A, '00010000');
  await master.close();
  await master.readData(DLT_A, '00010000');
  t.is(master.stats.opens, 2);
  const missing = new Dlt645Master({ ...bus, path: `${bus.path}-missing` });
  const e = await failure(missing.readData(DLT_A, '00010000'));
  t.is(e.code, 'E_BUS_UNAVAILABLE');
  t.like(e.context, { bus: 'dlt' });
});

test('bad arguments are refused before anything is sent', async (t) => {
  const { master } = await dlt645Rig(t);
  t.is((await failure(master.readData('12', 'xyz'))).code, 'E_FRAME_VALUE');
  t.is((await failure(master.relayControl(DLT_A, 'trip', { password: 'secret' }))).code, 'E_FRAME_VALUE');
  t.is((await failure(master.relayControl(DLT_A, 'explode' as never))).code, 'E_FRAME_VALUE');
  t.is(master.stats.transactions, 0);
});
