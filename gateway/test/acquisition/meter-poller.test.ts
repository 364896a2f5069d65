import test from 'ava';
import { ManualClock, PrepaidError, type RegisterDef } from '@prepaid-edge/protocols';
import { MeterPoller } from '../../src/adapters/acquisition/meter-poller.js';
import type { MeterDriver } from '../../src/adapters/acquisition/modbus-driver.js';
import type { MeterConfig } from '../../src/core/config/gateway-config.js';
import type { NewEvent, NewReading } from '../../src/core/model.js';

const meter: MeterConfig = { id: 'm1', bus: 'bus1', unit: 1, profile: 'x', pollMs: 1000, retries: 1, maxBackoffMs: 16000, commLostAfter: 3 };
const defs: RegisterDef[] = [{ name: 'energyImport', kind: 'input', address: 0, type: 'u32', wordOrder: 'high-first', scale: 1, unit: 'Wh', access: 'r', description: '' }];

function rig(script: Array<number | string>) {
  const clock = new ManualClock({ now: 1_763_800_000_000, monotonic: 0 });
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
    clock,
    reading: (r) => readings.push(r),
    event: (e) => events.push(e),
  });
  const tick = async () => {
    clock.advance(1000);
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

test('garbled replies never back off or raise comm-lost; only silence does', async (t) => {
  const r = rig(['E_MODBUS_CRC', 'E_MODBUS_CRC', 'E_MODBUS_CRC', 'E_MODBUS_CRC', 'E_MODBUS_CRC', 'E_MODBUS_CRC', 'E_MODBUS_CRC', 'E_MODBUS_CRC', 'E_MODBUS_TIMEOUT', 'E_MODBUS_TIMEOUT', 200]);
  for (let i = 0; i < 4; i++) {
    await r.tick();
    t.is(r.poller.health.backoffMs, 0, `poll ${i + 1}: a noisy line is polled at its rate`);
  }
  t.is(r.poller.health.state, 'unknown');
  t.is(r.poller.health.consecutiveFailures, 4);
  t.deepEqual(r.events, [], 'no comm-lost for a meter that answers');
  await r.tick(); // both attempts timed out: silence
  t.is(r.poller.health.backoffMs, 2000);
  await r.tick();
  t.is(r.poller.health.backoffMs, 0);
  t.is(r.readings.length, 1);
});

test('a driver that takes the retry policy repeats only the failed transaction; garbled replies get retries per transaction', async (t) => {
  // Three transactions a poll; the second fails with a bad CRC twice, then answers.
  const outcomes = ['ok', 'E_MODBUS_CRC', 'E_MODBUS_CRC', 'ok', 'ok'];
  let sent = 0;
  const driver: MeterDriver = {
    meter,
    defs,
    transactionsPerPoll: 3,
    read: async (retry) => {
      for (let tx = 0; tx < 3; tx++) {
        for (;;) {
          const o = outcomes[sent++]!;
          if (o === 'ok') break;
          const e = new PrepaidError(o as 'E_MODBUS_CRC', o);
          if (!retry?.(e)) throw e;
        }
      }
      return { energyImport: 1 };
    },
  };
  const readings: NewReading[] = [];
  const poller = new MeterPoller(driver, { clock: new ManualClock({ now: 0, monotonic: 0 }), reading: (x) => readings.push(x), event: () => {} });
  await poller.pollOnce();
  t.is(sent, 5, 'two repeats of one transaction, nothing else read twice');
  t.is(readings.length, 1);
  t.is(poller.health.errors.E_MODBUS_CRC, 2);
  t.is(poller.health.failures, 0);
});
