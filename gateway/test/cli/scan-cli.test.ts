/**
 * `prepaid-gateway scan` on a simulated RS-485 line (socat pty): Modbus meters at two baud rates and
 * a DL/T 645 meter at a third, all on one line. The simulator reads the baud rate the scanner set on
 * its end of the pty (peerPath), so a meter only hears the scanner at its own baud rate.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { Simulator } from '@prepaid-edge/simulator';
import { parseConfig } from '../../src/app/config/load-config.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { cli } from './run-cli.js';

async function mixedBus(t: import('ava').ExecutionContext) {
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  const sim = new Simulator({
    meters: 0,
    seed: 'scan-cli',
    scenario: {
      meters: [
        { units: [3], profile: 'sdm630', baudRate: 9600, parity: 'even' },
        { units: [8], profile: 'sdm120', baudRate: 19200, parity: 'even' },
        { units: [12], profile: 'prepaid', baudRate: 9600, parity: 'even' },
        { units: [5], profile: 'dlt645', baudRate: 2400, parity: 'even' },
      ],
    },
  });
  await sim.openSerial(pty.a, { baudRate: 9600, parity: 'even', peerPath: pty.b });
  t.teardown(() => sim.close());
  return { pty, sim };
}

testWith(['socat'])('scan --json on a bus with mixed baud rates and a DL/T 645 meter finds every meter, no phantom', async (t) => {
  t.timeout(240_000);
  const { pty } = await mixedBus(t);
  const r = await cli(['scan', '--path', pty.b, '--bauds', '2400,9600,19200', '--parity', 'even,none', '--units', '1-12', '--timeout', '150', '--json']);
  t.is(r.code, 0, r.stderr);
  const found = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  t.deepEqual(found, [
    { unit: null, address: '000000000005', baudRate: 2400, parity: 'even', stopBits: 1, protocol: 'dlt645', profile: 'dlt645' },
    { unit: 3, baudRate: 9600, parity: 'even', stopBits: 1, protocol: 'modbus', profile: 'sdm630' },
    { unit: 12, baudRate: 9600, parity: 'even', stopBits: 1, protocol: 'modbus', profile: 'prepaid' },
    { unit: 8, baudRate: 19200, parity: 'even', stopBits: 1, protocol: 'modbus', profile: 'sdm120' },
  ]);
  // stdout is not a terminal: progress comes as plain lines on stderr, ending at 100 %.
  t.regex(r.stderr, /100% \d+\/\d+ ETA 0s/);
  t.notRegex(r.stderr, /\r/);
});

testWith(['socat'])('scan prints a table and writes a config snippet that `config check` accepts', async (t) => {
  t.timeout(240_000);
  const { pty } = await mixedBus(t);
  const dir = tempDir(t);
  const out = join(dir, 'found.yaml');
  const r = await cli(['scan', '--path', pty.b, '--bauds', '9600', '--parity', 'even', '--units', '1-13', '--protocol', 'modbus', '--timeout', '150', '--out', out]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /protocol\s+address\s+line\s+profile/);
  t.regex(r.stdout, /modbus\s+3\s+9600 8E1\s+sdm630/);
  t.regex(r.stdout, /modbus\s+12\s+9600 8E1\s+prepaid/);
  t.notRegex(r.stdout, /sdm120|dlt645 /, 'meters at other baud rates or protocols are not reported');
  const snippet = YAML.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  const cfg = parseConfig(YAML.stringify({ gateway: { id: 'gw' }, storage: { path: join(dir, 'x.db') }, mqtt: { url: 'mqtt://127.0.0.1:1883' }, ...snippet }), out);
  t.deepEqual(cfg.meters.map((m) => [m.id, m.unit, m.profile, m.bus]), [
    ['m3', 3, 'sdm630', 'rs485-9600-even'],
    ['m12', 12, 'prepaid', 'rs485-9600-even'],
  ]);
  t.like(cfg.buses[0], { type: 'rtu', path: pty.b, baudRate: 9600, parity: 'even' });
});

test('scan refuses bad options with the option named', async (t) => {
  t.timeout(240_000);
  const r = await cli(['scan', '--path', '/dev/null', '--units', '0-3']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--units: "0-3"/);
  const p = await cli(['scan', '--path', '/dev/null', '--parity', 'mark']);
  t.regex(p.stderr, /--parity: "mark"/);
  const sb = await cli(['scan', '--path', '/dev/null', '--stop-bits', '3']);
  t.is(sb.code, 2);
  t.regex(sb.stderr, /--stop-bits: "3" is not 1 or 2/);
});

test('scan on a missing device fails with E_BUS_UNAVAILABLE and the hint', async (t) => {
  t.timeout(240_000);
  const r = await cli(['scan', '--path', '/dev/does-not-exist-prepaid', '--bauds', '9600', '--parity', 'even', '--units', '1']);
  t.is(r.code, 2);
  t.regex(r.stderr, /E_BUS_UNAVAILABLE/);
  t.regex(r.stderr, /stop the service or use the web console/);
});
