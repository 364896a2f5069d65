/**
 * `prepaid-gateway scan` as a technician runs it, against `prepaid-sim --pty` as its own process:
 * the mixed line of simulator/scenarios/mixed-line.yaml (Modbus sdm630, sdm120, prepaid, sdm120 and
 * four DL/T 645 meters, two of them sharing their address's low byte, one three-phase), all at 9600 8E1. The
 * simulator reads the settings the scanner sets on its pty, so a wrong baud rate or parity finds
 * nothing, as on a real wire.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { cli } from '../cli/run-cli.js';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { installedCommand } from '@prepaid-edge/testkit/commands';

const SIM_CLI = installedCommand('prepaid-sim');

const MIXED_LINE = fileURLToPath(new URL('../../../../simulator/scenarios/mixed-line.yaml', import.meta.url));
/** The units next to each meter too: a neighbour answering would be a phantom. */
const UNITS = '1,2,49,50,51,119,120,121,246,247';

/** prepaid-sim --pty on the mixed line; stopped (SIGTERM, which also ends its socat) at teardown. */
async function mixedLineSim(t: ExecutionContext): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'scan-mixed-'));
  const tty = join(dir, 'tty');
  const proc = spawn(process.execPath, [SIM_CLI, '--pty', tty, '--scenario', MIXED_LINE, '--no-table', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  // Generous: on a loaded 2-core machine node alone was seen to take 3 s to start, the simulator 27 s.
  const deadline = Date.now() + 60_000;
  while (!existsSync(tty)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`prepaid-sim --pty did not come up (exit ${proc.exitCode}): ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300)); // the bus opens its end just after socat links the pair
  return tty;
}

type Found = { unit: number | null; address?: string; baudRate: number; parity: string; stopBits: number; protocol: string; profile: string | null };
const key = (m: Found) => `${m.protocol} ${m.unit ?? m.address} ${m.baudRate} ${m.parity} ${m.stopBits} ${m.profile}`;

testWith(['socat'])('scan of the mixed line at every default baud rate and parity finds every Modbus and DL/T 645 meter with its profile at 9600 8E1, and nothing else', async (t) => {
  t.timeout(240_000);
  const tty = await mixedLineSim(t);
  const r = await cli(['scan', '--path', tty, '--units', UNITS, '--timeout', '150', '--json'], { timeoutMs: 230_000 });
  t.is(r.code, 0, r.stderr);
  const found = JSON.parse(r.stdout) as Found[];
  t.deepEqual(found.map(key), [
    'modbus 1 9600 even 1 sdm630',
    'modbus 50 9600 even 1 sdm120',
    'modbus 120 9600 even 1 prepaid',
    'modbus 247 9600 even 1 sdm120',
    // Depth first: the collision at low byte 05 is narrowed before the other low bytes are asked.
    'dlt645 000000000005 9600 even 1 dlt645',
    'dlt645 000000000105 9600 even 1 dlt645',
    'dlt645 000000000017 9600 even 1 dlt645',
    'dlt645 000000000230 9600 even 1 dlt645-3p',
  ]);
});

testWith(['socat'])('scan of the mixed line at the wrong baud rate or parity finds nothing', async (t) => {
  t.timeout(120_000);
  const tty = await mixedLineSim(t);
  for (const [bauds, parity] of [
    ['19200,4800', 'even'],
    ['9600', 'none,odd'],
  ]) {
    const r = await cli(['scan', '--path', tty, '--bauds', bauds!, '--parity', parity!, '--units', '1,50,120,247', '--timeout', '150', '--json'], { timeoutMs: 110_000 });
    t.is(r.code, 0, r.stderr);
    t.deepEqual(JSON.parse(r.stdout), [], `--bauds ${bauds} --parity ${parity}`);
  }
  // The same line at the right settings answers: the silence above is the settings, not a dead simulator.
  const right = await cli(['scan', '--path', tty, '--bauds', '9600', '--parity', 'even', '--units', '120', '--protocol', 'modbus', '--timeout', '150', '--json']);
  t.deepEqual((JSON.parse(right.stdout) as Found[]).map(key), ['modbus 120 9600 even 1 prepaid']);
});
