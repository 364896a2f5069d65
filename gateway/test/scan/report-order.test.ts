import test from 'ava';
import { inReportOrder, type FoundMeter } from '../../src/adapters/scan/index.js';

const modbus = (unit: number, baudRate = 9600): FoundMeter => ({ protocol: 'modbus', unit, baudRate, parity: 'even', stopBits: 1, profile: 'sdm120', candidates: ['sdm120'] });
const dlt = (address: string, baudRate = 9600): FoundMeter => ({ protocol: 'dlt645', unit: null, address, baudRate, parity: 'even', stopBits: 1, profile: 'dlt645', candidates: ['dlt645'] });
const keys = (ms: FoundMeter[]) => ms.map((m) => `${m.protocol} ${m.unit ?? m.address} ${m.baudRate}`);

const vectors: Array<{ name: string; found: FoundMeter[]; want: string[] }> = [
  { name: 'a late Modbus reply found after later units is reported in unit order', found: [modbus(1), modbus(50), modbus(247), modbus(120)], want: ['modbus 1 9600', 'modbus 50 9600', 'modbus 120 9600', 'modbus 247 9600'] },
  { name: 'DL/T 645 meters keep their search order', found: [dlt('000000000105'), dlt('000000000017'), dlt('000000000230')], want: ['dlt645 000000000105 9600', 'dlt645 000000000017 9600', 'dlt645 000000000230 9600'] },
  { name: 'by baud rate, Modbus before DL/T 645 on one line, whatever the discovery order', found: [modbus(3), dlt('000000000005'), modbus(9, 19200), dlt('000000000007', 2400), modbus(1)], want: ['dlt645 000000000007 2400', 'modbus 1 9600', 'modbus 3 9600', 'dlt645 000000000005 9600', 'modbus 9 19200'] },
  { name: 'nothing found', found: [], want: [] },
];

for (const v of vectors) {
  test(`scan report order: ${v.name}`, (t) => {
    const before = keys(v.found);
    t.deepEqual(keys(inReportOrder(v.found)), v.want);
    t.deepEqual(keys(v.found), before, 'the input is not reordered in place');
  });
}
