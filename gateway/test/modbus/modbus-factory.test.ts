/** Which master a bus gets: ours by default, modbus-serial where the bus says `driver: modbus-serial`. */
import test from 'ava';
import YAML from 'yaml';
import { createModbusMaster, RtuMaster, TcpMaster } from '../../src/adapters/modbus/index.js';
import { ModbusSerialMaster } from '../../src/adapters/acquisition/modbus-transport.js';
import { parseConfig } from '../../src/app/config/load-config.js';
import type { BusConfig } from '../../src/core/config/gateway-config.js';

const buses = (list: object[]): BusConfig[] =>
  parseConfig(YAML.stringify({ gateway: { id: 'g' }, storage: { path: '/tmp/x.db' }, mqtt: { url: 'mqtt://127.0.0.1:1' }, buses: list, meters: [] }), 't').buses;

test('default: our masters; driver: modbus-serial keeps modbus-serial on rtu and tcp', async (t) => {
  const [rtu, tcp, rot, rtuMs, tcpMs] = buses([
    { id: 'a', type: 'rtu', path: '/dev/null', turnaroundMs: 50 },
    { id: 'b', type: 'tcp', host: '127.0.0.1', port: 502, maxInFlight: 4 },
    { id: 'c', type: 'rtu-over-tcp', host: '127.0.0.1', port: 4196 },
    { id: 'd', type: 'rtu', path: '/dev/null', driver: 'modbus-serial' },
    { id: 'e', type: 'tcp', host: '127.0.0.1', port: 502, driver: 'modbus-serial' },
  ]) as [never, never, never, never, never];
  const made = [rtu, tcp, rot, rtuMs, tcpMs].map((b) => createModbusMaster(b));
  t.true(made[0] instanceof RtuMaster);
  t.true(made[1] instanceof TcpMaster);
  t.true(made[2] instanceof RtuMaster);
  t.true(made[3] instanceof ModbusSerialMaster);
  t.true(made[4] instanceof ModbusSerialMaster);
  await Promise.all(made.map((m) => m.close()));
});

test('config refuses maxInFlight > 1 with modbus-serial, and unknown drivers', (t) => {
  t.throws(() => buses([{ id: 'e', type: 'tcp', host: 'h', port: 502, driver: 'modbus-serial', maxInFlight: 2 }]), { message: /maxInFlight/ });
  t.throws(() => buses([{ id: 'e', type: 'tcp', host: 'h', port: 502, driver: 'libmodbus' }]));
});
