/** The pure pieces of the technician CLI: unit lists, progress output, doctor verdicts, tables. */
import test from 'ava';
import { ManualClock } from '@prepaid-edge/protocols';
import { parseUnits } from '../../src/app/cli/scan-command.js';
import { ProgressBar, formatDuration } from '../../src/app/cli/progress.js';
import { checkClock, checkDisk, EARLIEST_SANE_MS, MIN_FREE_BYTES } from '../../src/app/cli/doctor-checks.js';
import { watchTable } from '../../src/app/cli/read-command.js';
import { configSnippet, formatTable, foundJson } from '../../src/adapters/scan/index.js';
import type { GatewayConfig } from '../../src/core/config/gateway-config.js';

test('parseUnits: ranges and lists, in order, without repeats; bad parts named', (t) => {
  t.deepEqual(parseUnits('1-3'), [1, 2, 3]);
  t.deepEqual(parseUnits('5, 1-2,5,247'), [5, 1, 2, 247]);
  t.is(parseUnits('1-247').length, 247);
  for (const bad of ['0', '1-248', '3-1', 'x', '']) t.throws(() => parseUnits(bad), { code: 'E_CONFIG_INVALID' } as never, bad);
});

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, s: { isTTY, columns: 100, write: (x: string) => (out.push(x), true) } };
}

test('progress: plain lines at each 10 % when not a terminal, never a carriage return', (t) => {
  const { out, s } = sink(false);
  const bar = new ProgressBar(s);
  for (let d = 0; d <= 100; d++) bar.update(d, 100, (100 - d) * 50, '9600 even');
  bar.end();
  t.is(out.length, 11);
  t.is(out[0], '  0% 0/100 ETA 5s 9600 even\n');
  t.is(out.at(-1), '100% 100/100 ETA 0s 9600 even\n');
  t.false(out.join('').includes('\r'));
});

test('progress: one redrawn line on a terminal, at most 10 a second, always the last one', (t) => {
  const { out, s } = sink(true);
  const clock = new ManualClock({ monotonic: 0 });
  const bar = new ProgressBar(s, clock);
  for (let d = 1; d <= 100; d++) {
    clock.advance(5);
    bar.update(d, 100, 1000, '');
  }
  t.true(out.length <= 7, `${out.length} redraws in 0.5 s`);
  t.true(out.every((l) => l.startsWith('\r[')));
  t.regex(out.at(-1)!, /\[#+\] 100% 100\/100/);
});

test('durations', (t) => {
  t.is(formatDuration(0), '0s');
  t.is(formatDuration(61_000), '1m01s');
  t.is(formatDuration(3_720_000), '1h02m');
});

test('doctor: clock and disk verdicts', (t) => {
  t.is(checkClock(EARLIEST_SANE_MS - 1).verdict, 'FAIL');
  t.is(checkClock(Date.UTC(2026, 5, 1)).verdict, 'PASS');
  const cfg = { storage: { path: '/tmp/x/gw.db', maxBytes: 512 * 1048576 } } as GatewayConfig;
  t.is(checkDisk(cfg, MIN_FREE_BYTES - 1).verdict, 'FAIL');
  t.is(checkDisk(cfg, 100 * 1048576).verdict, 'WARN');
  t.is(checkDisk(cfg, 1024 * 1048576).verdict, 'PASS');
});

test('watch table: one column per value, errors in the row of their meter', (t) => {
  const table = watchTable([
    { meter: 'm1', values: { voltageL1: 230.1, energyImport: 12 } },
    { meter: 'm22', error: 'E_MODBUS_TIMEOUT: no reply' },
  ]);
  t.is(table, ['meter  voltageL1 [V]  energyImport [Wh]', 'm1     230.1          12', 'm22    E_MODBUS_TIMEOUT: no reply', ''].join('\n'));
});

test('scan report: snippet groups meters by protocol and line setting; unknown profiles flagged with the problem; JSON fields', (t) => {
  const found = [
    { protocol: 'modbus' as const, unit: 3, baudRate: 9600, parity: 'even' as const, stopBits: 1 as const, profile: 'sdm630', candidates: ['sdm630'] },
    { protocol: 'modbus' as const, unit: 9, baudRate: 9600, parity: 'even' as const, stopBits: 1 as const, profile: null, candidates: ['a', 'b'], problem: 'ambiguous: the signatures of a and b all hold' },
    { protocol: 'dlt645' as const, unit: null, address: '000000000005', baudRate: 2400, parity: 'even' as const, stopBits: 1 as const, profile: 'dlt645', candidates: ['dlt645'] },
    { protocol: 'modbus' as const, unit: 4, baudRate: 9600, parity: 'none' as const, stopBits: 2 as const, profile: 'sdm120', candidates: ['sdm120'] },
  ];
  const s = configSnippet(found, '/dev/ttyUSB0');
  t.is(s.match(/^ {2}- \{ id: rs485-9600-even, type: rtu/gm)?.length, 1);
  t.regex(s, /id: rs485-9600-none-2, type: rtu, path: \/dev\/ttyUSB0, baudRate: 9600, parity: none, stopBits: 2/);
  t.regex(s, /id: dlt645-2400-even, type: dlt645, path: \/dev\/ttyUSB0/);
  t.regex(s, /id: m9, bus: rs485-9600-even, unit: 9, profile: unknown, pollMs: 1000 } {2}# set it: ambiguous: the signatures of a and b all hold \(candidates: a, b\)/);
  t.regex(s, /id: dlt-000000000005, bus: dlt645-2400-even, address: "000000000005", profile: dlt645/);
  const json = JSON.parse(foundJson(found)) as unknown[];
  t.deepEqual(json[2], { unit: null, address: '000000000005', baudRate: 2400, parity: 'even', stopBits: 1, protocol: 'dlt645', profile: 'dlt645' });
  t.deepEqual(json[1], { unit: 9, baudRate: 9600, parity: 'even', stopBits: 1, protocol: 'modbus', profile: null, candidates: ['a', 'b'], problem: 'ambiguous: the signatures of a and b all hold' });
  t.regex(formatTable(found), /modbus\s+9\s+9600 8E1\s+\? a \| b\s+ambiguous/);
});
