/** The DL/T 645 meter driver inside Acquisition, against simulated meters on a socat pty pair. */
import YAML from 'yaml';
import { systemClock } from '@prepaid-edge/protocols';
import { Acquisition } from '../../src/adapters/acquisition/acquisition.js';
import { Dlt645Master } from '../../src/adapters/acquisition/dlt645-master.js';
import { Dlt645MeterDriver } from '../../src/adapters/acquisition/dlt645-driver.js';
import { dlt645MasterFor } from '../../src/adapters/acquisition/driver-registry.js';
import { parseConfig } from '../../src/app/config/load-config.js';
import type { Dlt645BusConfig } from '../../src/core/config/gateway-config.js';
import type { NewEvent, NewReading } from '../../src/core/model.js';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { DLT_A, DLT_B, dlt645Rig } from './dlt645-rig.js';

const test = testWith(['socat']);

function acquisitionFor(bus: Dlt645BusConfig) {
  const cfg = parseConfig(
    YAML.stringify({
      gateway: { id: 'gw' },
      storage: { path: '/tmp/unused.db' },
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      buses: [{ id: bus.id, type: 'dlt645', path: bus.path, baudRate: 9600, parity: 'even', timeoutMs: 1500 }],
      meters: [
        { id: 'a', bus: bus.id, address: DLT_A, profile: 'dlt645' },
        { id: 'b', bus: bus.id, address: DLT_B, profile: 'dlt645', retries: 0, commLostAfter: 1 },
      ],
    }),
  );
  const readings: NewReading[] = [];
  const events: NewEvent[] = [];
  const acq = new Acquisition(cfg, { reading: (r) => readings.push(r), event: (e) => events.push(e), clock: { ...systemClock, now: () => 1_800_000_000_000 } });
  return { acq, readings, events };
}

test('a dlt645 bus gets DL/T 645 drivers that poll the profile DIs into canonical values equal to the truth', async (t) => {
  const { sim, clock, bus, master: unused } = await dlt645Rig(t);
  await unused.close();
  clock.advance(2 * 3_600_000);
  const { acq, readings } = acquisitionFor(bus);
  const poller = acq.pollers.get('a')!;
  t.true(poller.driver instanceof Dlt645MeterDriver);
  await poller.pollOnce();
  await acq.pollers.get('b')!.pollOnce();
  // Both meters share one master and the bus queue: 7 DIs each, one session per poll.
  const rt = acq.buses.get('dlt')!;
  t.is(dlt645MasterFor(rt).stats.transactions, 14);
  t.is(rt.queue.transactions, 14);
  await acq.stop(); // hands on the readings held for the tick
  t.is(readings.length, 2, JSON.stringify(acq.meterHealth()));
  for (const [i, unit] of [[0, 3], [1, 4]] as const) {
    const s = sim.trueState(unit).snapshot;
    const v = readings[i]!.values;
    t.deepEqual(Object.keys(v), ['energyImport', 'energyExport', 'voltageL1', 'currentL1', 'power', 'powerFactor', 'frequency']);
    t.is(v.energyImport, Math.floor(s.energyImportWh / 10) * 10);
    t.is(v.energyExport, Math.floor(s.energyExportWh / 10) * 10);
    t.true(Number.isInteger(v.energyImport) && Number.isInteger(v.energyExport), 'energy in integer Wh');
    t.is(v.voltageL1, Math.round(s.voltage[0]! * 10) / 10);
    t.is(v.currentL1, Math.round(s.current[0]! * 1000) / 1000);
    t.is(v.power, Math.round(s.power * 10) / 10);
    t.is(v.powerFactor, Math.round(s.powerFactor * 1000) / 1000);
    t.is(v.frequency, Math.round(s.frequency * 100) / 100);
  }
});

test('a silent DL/T 645 meter fails its poll with E_DLT645_TIMEOUT and goes comm-lost; stop() releases the line', async (t) => {
  const { sim, bus, master: unused } = await dlt645Rig(t);
  await unused.close();
  sim.addFault(4, { type: 'noReply', rate: 1 });
  const { acq, events } = acquisitionFor(bus);
  await acq.pollers.get('b')!.pollOnce();
  const h = acq.pollers.get('b')!.health;
  t.is(h.state, 'lost');
  t.is(h.errors.E_DLT645_TIMEOUT, 1);
  t.regex(h.lastError ?? '', /^E_DLT645_TIMEOUT: /);
  t.true(events.some((e) => e.type === 'comm-lost' && e.meter === 'b'));
  await acq.stop();
  // The port is free again: another master can take the device (serialport locks it while open).
  const next = new Dlt645Master(bus);
  t.teardown(() => next.close());
  t.is((await next.readData(DLT_A, '00010000')).di, '00010000');
});

test('damaged replies on a noisy line are repeated at once inside the poll: readings keep coming, E_FRAME_CHECKSUM counted', async (t) => {
  const { sim, bus, master: unused } = await dlt645Rig(t);
  await unused.close();
  sim.addFault(3, { type: 'badCrc', rate: 0.2 });
  const { acq, readings } = acquisitionFor(bus);
  const poller = acq.pollers.get('a')!;
  for (let i = 0; i < 5; i++) await poller.pollOnce();
  await acq.stop();
  t.is(readings.length, 5, JSON.stringify(poller.health));
  t.true((poller.health.errors.E_FRAME_CHECKSUM ?? 0) > 0, JSON.stringify(poller.health.errors));
  t.is(poller.health.state, 'ok');
});
