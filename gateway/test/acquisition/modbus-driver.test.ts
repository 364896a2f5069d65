/** ModbusMeterDriver: slow registers (profile `poll: 'slow'`) are read at the first poll, then every slowPollMs. */
import test from 'ava';
import { loadProfile, ManualClock, planReads } from '@prepaid-edge/protocols';
import type { MeterConfig } from '../../src/core/config/gateway-config.js';
import { BusQueue } from '../../src/adapters/acquisition/bus-queue.js';
import { ModbusMeterDriver, DEFAULT_SLOW_POLL_MS } from '../../src/adapters/acquisition/modbus-driver.js';
import type { ModbusMaster } from '../../src/adapters/acquisition/modbus-transport.js';
import { fakeMaster } from './fake-master.js';

const meter: MeterConfig = { id: 'm1', bus: 'b', unit: 7, profile: 'sdm630', pollMs: 1000, retries: 1, maxBackoffMs: 16000, commLostAfter: 3, slowPollMs: 60_000 };

test('an sdm630 poll makes 2 reads; the settings block is read at the first poll and then every slowPollMs', async (t) => {
  const { master, reads } = fakeMaster();
  const clock = new ManualClock({ monotonic: 5000 });
  const d = new ModbusMeterDriver(meter, master, new BusQueue(), clock);
  t.is(d.transactionsPerPoll, 3, 'the first poll reads the settings too');
  const first = await d.read();
  t.deepEqual(reads.splice(0), ['input 0+76', 'input 342+10', 'holding 18+12']);
  t.like(first, { voltageL1: 230.1, energyImport: 1_234_000, modbusAddress: 7, baudRateCode: 2, parityStopCode: 0 });

  for (const step of [1000, 1000, 57_000]) {
    clock.advance(step);
    t.is(d.transactionsPerPoll, 2);
    const v = await d.read();
    t.deepEqual(reads.splice(0), ['input 0+76', 'input 342+10']);
    t.like(v, { voltageL1: 230.1, energyImport: 1_234_000 });
    t.false('modbusAddress' in v, 'a reading holds what its poll read: no repeated settings');
  }
  clock.advance(1000); // 60 s after the first read
  t.is(d.transactionsPerPoll, 3);
  t.like(await d.read(), { modbusAddress: 7 });
  t.deepEqual(reads.splice(0), ['input 0+76', 'input 342+10', 'holding 18+12']);
});

test('a failed slow read is tried again at the next poll; slowPollMs defaults to 15 minutes', async (t) => {
  const { master, reads, failNext } = fakeMaster();
  const clock = new ManualClock({ monotonic: 0 });
  const { slowPollMs: _, ...noSlow } = meter;
  const d = new ModbusMeterDriver(noSlow, master, new BusQueue(), clock);
  failNext.add('holding 18+12');
  await t.throwsAsync(d.read(), { message: /exception 2/ });
  clock.advance(1000);
  t.like(await d.read(), { modbusAddress: 7 }, 'the next poll reads the settings again');
  clock.advance(DEFAULT_SLOW_POLL_MS - 1);
  reads.splice(0);
  await d.read();
  t.deepEqual(reads.splice(0), ['input 0+76', 'input 342+10']);
  clock.advance(1);
  await d.read();
  t.deepEqual(reads.splice(0), ['input 0+76', 'input 342+10', 'holding 18+12']);
  t.is(DEFAULT_SLOW_POLL_MS, 900_000);
});

test('a profile without slow registers is read whole every poll (prepaid)', async (t) => {
  const reads: string[] = [];
  const master: ModbusMaster = {
    read: (_u, kind, address, count) => (reads.push(`${kind} ${address}+${count}`), Promise.resolve(new Array<number>(count).fill(0))),
    writeCoil: () => Promise.resolve(),
    writeRegisters: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const d = new ModbusMeterDriver({ ...meter, profile: 'prepaid' }, master, new BusQueue(), new ManualClock({ monotonic: 0 }));
  const all = planReads(loadProfile('prepaid').registers).map((b) => `${b.kind} ${b.address}+${b.count}`);
  await d.read().catch(() => undefined);
  await d.read().catch(() => undefined);
  t.deepEqual(reads, [...all, ...all]);
});
