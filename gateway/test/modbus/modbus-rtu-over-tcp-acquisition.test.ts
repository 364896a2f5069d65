/**
 * An `rtu-over-tcp` bus end to end through the config and Acquisition (the default master): a
 * scripted converter answering with the simulator's sdm120 registers, one reply in five with a
 * corrupt CRC. CRC errors are counted apart from timeouts, never back the meter off, and the meter
 * still delivers >= 75% of its polls. The config rejects what RTU over TCP cannot do.
 */
import test from 'ava';
import YAML from 'yaml';
import { encodeRtu } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { parseConfig } from '../../src/app/config/load-config.js';
import { Acquisition } from '../../src/adapters/acquisition/acquisition.js';
import type { NewReading } from '../../src/core/model.js';
import { FakeSlave, sleep } from './fake-slave.js';

const cfgText = (port: number, bus: Record<string, unknown> = {}) =>
  YAML.stringify({
    gateway: { id: 'gw-rot' },
    storage: { path: '/tmp/unused.db' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    buses: [{ id: 'conv', type: 'rtu-over-tcp', host: '127.0.0.1', port, timeoutMs: 300, ...bus }],
    meters: [{ id: 'n1', bus: 'conv', unit: 1, profile: 'sdm120', pollMs: 200 }],
  });

test('config: rtu-over-tcp takes host/port/frameGapMs; refuses driver modbus-serial and maxInFlight > 1', (t) => {
  const cfg = parseConfig(cfgText(4196, { frameGapMs: 25 }), 'test');
  t.like(cfg.buses[0], { type: 'rtu-over-tcp', host: '127.0.0.1', port: 4196, frameGapMs: 25, timeoutMs: 300 });
  t.throws(() => parseConfig(cfgText(4196, { driver: 'modbus-serial' }), 'test'), { message: /driver/ });
  t.throws(() => parseConfig(cfgText(4196, { maxInFlight: 2 }), 'test'), { message: /maxInFlight/ });
  t.throws(() => parseConfig(cfgText(4196, { path: '/dev/ttyUSB0' }), 'test'));
});

test('a meter with 20% bad CRC over rtu-over-tcp delivers >= 75% of its polls; CRC counted apart, no backoff', async (t) => {
  t.timeout(30_000);
  const sim = new Simulator({ profile: 'sdm120', meters: 1, seed: 'rot' });
  let replies = 0;
  const slave = await new FakeSlave('rtu', (r) => {
    const rep = sim.bus.handleTcp(r.unit, r.pdu);
    if (!rep) return;
    const f = encodeRtu(rep.unit, rep.pdu);
    if (replies++ % 5 === 4) f[f.length - 2]! ^= 0x55;
    r.send(f);
  }).listen();
  const cfg = parseConfig(cfgText(slave.port), 'test');
  const readings: NewReading[] = [];
  const acq = new Acquisition(cfg, { reading: (r) => readings.push(r), event: () => undefined });
  const WINDOW = 4000;
  acq.start();
  await sleep(WINDOW);
  await acq.stop();
  await slave.close();
  const h = acq.meterHealth()[0]!;
  const expected = Math.floor(WINDOW / 200);
  t.log(`${readings.length} readings of ~${expected} polls; health ${JSON.stringify(h)}`);
  t.true(readings.length >= Math.ceil(0.75 * expected), `${readings.length} readings`);
  t.true((h.errors.E_MODBUS_CRC ?? 0) > 0, 'CRC errors counted');
  t.is(h.errors.E_MODBUS_TIMEOUT ?? 0, 0, 'no timeouts');
  t.is(h.backoffMs, 0);
  t.is(h.state, 'ok');
  t.true(typeof readings[0]!.values.energyImport === 'number');
});
