import test from 'ava';
import { PrepaidError, type RegisterDef } from '@prepaid-edge/protocols';
import { MeterPoller } from '../../src/acquisition/meter-poller.js';
import type { MeterDriver } from '../../src/acquisition/modbus-driver.js';
import type { MeterConfig } from '../../src/config/types.js';
import type { NewEvent, NewReading } from '../../src/model.js';

const meter: MeterConfig = { id: 'm1', bus: 'bus1', unit: 1, profile: 'x', pollMs: 1000, retries: 1, maxBackoffMs: 16000, commLostAfter: 3 };
const defs: RegisterDef[] = [{ name: 'energyImport', kind: 'input', address: 0, type: 'u32', wordOrder: 'high-first', scale: 1, unit: 'Wh', access: 'r', description: '' }];

function rig(script: Array<number | string>) {
  let mono = 0;
  let wall = 1_763_800_000_000;
  const readings: NewReading[] = [];
  const events: NewEvent[] = [];
  let i = 0;
  let calls = 0;
  const driver: MeterDriver = {
    meter,
    defs,
    read: async () => {
      calls++;
      const step = script[Math.min(i++, script.length - 1)]!;
      if (typeof step === 'string') throw new PrepaidError(step as 'E_MODBUS_TIMEOUT', step);
      return { energyImport: step };
    },
  };
  const poller = new MeterPoller(driver, {
    now: () => wall,
    monotonic: () => mono,
    reading: (r) => readings.push(r),
    event: (e) => events.push(e),
    setTimer: () => setTimeout(() => {}, 0),
    clearTimer: () => {},
  });
  const tick = async () => {
    mono += 1000;
    wall += 1000;
    await poller.pollOnce();
  };
  return { poller, readings, events, tick, calls: () => calls };
}

test('a retry hides one CRC error; two in a row are a failure', async (t) => {
  const r = rig(['E_MODBUS_CRC', 100, 'E_MODBUS_CRC', 'E_MODBUS_CRC', 101]);
  await r.tick();
  t.is(r.readings.length, 1);
  await r.tick();
  t.is(r.readings.length, 1);
  t.is(r.poller.health.errors.E_MODBUS_CRC, 3);
  t.is(r.poller.health.consecutiveFailures, 1);
});

test('comm-lost after N failed polls, comm-restored on the next good one, backoff doubles', async (t) => {
  const r = rig(['E_MODBUS_TIMEOUT', 'E_MODBUS_TIMEOUT', 'E_MODBUS_TIMEOUT', 'E_MODBUS_TIMEOUT', 'E_MODBUS_TIMEOUT', 'E_MODBUS_TIMEOUT', 500]);
  await r.tick();
  t.is(r.poller.health.backoffMs, 2000);
  await r.tick();
  t.is(r.poller.health.backoffMs, 4000);
  await r.tick();
  t.is(r.poller.health.state, 'lost');
  t.deepEqual(r.events.map((e) => e.type), ['comm-lost']);
  await r.tick();
  t.is(r.poller.health.state, 'ok');
  t.deepEqual(r.events.map((e) => e.type), ['comm-lost', 'comm-restored']);
  t.is(r.readings.length, 1);
  t.is(r.poller.health.backoffMs, 0);
});

test('a failed read never becomes a reading; energy going backwards is rejected, then a confirmed reset re-baselines', async (t) => {
  const r = rig([1000, 1001, 5, 6, 7, 8]);
  await r.tick();
  await r.tick();
  await r.tick(); // 5 < 1001: suspect
  await r.tick(); // 6: suspect
  t.deepEqual(r.readings.map((x) => x.values.energyImport), [1000, 1001]);
  t.is(r.events.filter((e) => e.type === 'read-rejected').length, 1);
  await r.tick(); // 7: third consistent value: confirmed
  t.deepEqual(r.readings.map((x) => x.values.energyImport), [1000, 1001, 7]);
  const reset = r.events.find((e) => e.type === 'counter-reset');
  t.like(reset?.data, { from: 1001, to: 7 });
  await r.tick();
  t.deepEqual(r.readings.map((x) => x.values.energyImport), [1000, 1001, 7, 8]);
});
