/**
 * Bus scan on a mixed line: addresses 1-247 plus the DL/T 645 address search at one line setting
 * (9600 8E1) on the simulator with wire timing, on a pty the simulator owns (it reads the line
 * settings the scanner sets), meters of simulator/scenarios/mixed-line.yaml: Modbus 1 sdm630,
 * 50 sdm120, 120 prepaid, 247 sdm120; DL/T 645 000000000005, 000000000017, 000000000105 (dlt645),
 * 000000000230 (dlt645-3p). The result must be exactly that set, each meter with its profile: a wrong result
 * fails the benchmark (WRONG RESULT), whatever its timing.
 *
 * Nearly every address is absent, so the scan's floor is set by the timeout: probes without a
 * clean reply x timeout (silence, and DL/T 645 collisions, which are only garbage at the end of the
 * wait), plus each answered transaction's request and reply wire time, the simulated meter's
 * turnaround and the 3.5-character silence before the next request. Target: within 1.2x of that
 * floor, counted exchange by exchange from what the scan actually sent.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulator, loadScenario } from '@prepaid-edge/simulator';
import { bitsPerChar, interFrameMs } from '@prepaid-edge/protocols';
import { openSerialLine, scan, wireMs, type LineSettings, type ScanLine } from '../src/adapters/scan/index.js';

const SCENARIO = fileURLToPath(new URL('../../../simulator/scenarios/mixed-line.yaml', import.meta.url));
/**
 * 100 ms: on a loaded machine the simulator's replies (28-35 ms of wire time at 9600) were seen to
 * arrive up to 47 ms after the request, and the simulator also reads the pty's settings (stty)
 * before each reply to a meter. The default timeout would be wire time + 50 ms.
 */
const TIMEOUT_MS = 100;
const TURNAROUND_MS = 2; // the simulator's --turnaround-ms default
const TARGET = 1.2;
const LINE: LineSettings = { baudRate: 9600, parity: 'even' };
const STOP_BITS = 1;
const EXPECTED = ['modbus 1 sdm630', 'modbus 50 sdm120', 'modbus 120 prepaid', 'modbus 247 sdm120', 'dlt645 000000000005 dlt645', 'dlt645 000000000017 dlt645', 'dlt645 000000000105 dlt645', 'dlt645 000000000230 dlt645-3p'];

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string; skipped?: string; failed?: string }> {
  const base = {
    id: 'scan',
    title: 'Technician CLI: bus scan of a mixed Modbus + DL/T 645 line at 9600 8E1 (wire timing)',
    command:
      'prepaid-gateway scan --path PTY --bauds 9600 --parity even --units 1-247 --protocol both --timeout 100 (its scan engine in-process, so every exchange is counted) against prepaid-sim --pty PTY --scenario simulator/scenarios/mixed-line.yaml --timing wire --baud 9600 --parity even (gateway/bench/scan.bench.ts)',
  };
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).error) return { ...base, markdown: '', skipped: 'socat is not installed (apt-get install socat)' };
  const dir = mkdtempSync(join(tmpdir(), 'scan-bench-'));
  const pty = join(dir, 'tty');
  const sim = new Simulator({ meters: 0, seed: 'scan-bench', timing: 'wire', baudRate: LINE.baudRate, parity: LINE.parity, turnaroundMs: TURNAROUND_MS, scenario: loadScenario(SCENARIO) });
  try {
    await sim.openPty(pty, LINE);
    let silent = 0;
    let garbled = 0;
    let answered = 0;
    let floorMs = 0;
    const gap = interFrameMs(LINE.baudRate, bitsPerChar(LINE.parity, STOP_BITS));
    const openLine = async (path: string, line: LineSettings & { stopBits: 1 | 2 }): Promise<ScanLine> => {
      const real = await openSerialLine(path, line);
      return {
        close: () => real.close(),
        drain: (ms) => real.drain!(ms),
        exchange: async (request, timeoutMs, complete) => {
          const x = await real.exchange(request, timeoutMs, complete);
          if (x.kind === 'reply') {
            answered++;
            floorMs += wireMs(request.length + x.bytes.length, line, line.stopBits) + TURNAROUND_MS + gap;
          } else {
            if (x.kind === 'silence') silent++;
            else garbled++;
            floorMs += timeoutMs;
          }
          return x;
        },
      };
    };
    const found: string[] = [];
    const t0 = performance.now();
    for await (const ev of scan({ path: pty, bauds: [LINE.baudRate], parities: [LINE.parity], protocol: 'both', timeoutMs: TIMEOUT_MS }, { openLine })) {
      if (ev.type === 'found') found.push(`${ev.meter.protocol} ${ev.meter.unit ?? ev.meter.address} ${ev.meter.profile ?? `null (${ev.meter.problem ?? ''})`}`);
    }
    const elapsed = performance.now() - t0;
    const ratio = elapsed / floorMs;
    const right = [...found].sort().join() === [...EXPECTED].sort().join();
    const markdown = [
      'Simulator with `--timing wire` at 9600 8E1 (turnaround 2 ms) on a pty pair it owns (`--pty`), so a meter hears only a scanner at its own line settings; meters of `simulator/scenarios/mixed-line.yaml`: Modbus units 1 (sdm630), 50 (sdm120), 120 (prepaid), 247 (sdm120); DL/T 645 000000000005, 000000000017, 000000000105 (single phase), 000000000230 (dlt645-3p, three phase); 05 and 105 share their low address byte. One scan at one line setting: Modbus units 1-247, then the DL/T 645 address search. The scan also waits one timeout after its last Modbus probe and after its last DL/T 645 probe for a late reply; those waits are not in the floor.',
      '',
      `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}; other sessions were building and testing on it during the run.`,
      '',
      '| quantity | value |',
      '|---|---|',
      `| timeout on absent addresses | ${TIMEOUT_MS} ms |`,
      `| probes without reply | ${silent} |`,
      `| probes garbled (DL/T 645 replies colliding, retried once, then narrowed) | ${garbled} |`,
      `| transactions answered (presence, signature reads, address search) | ${answered} |`,
      `| meters found | ${found.join(', ')} |`,
      `| result | ${right ? 'RIGHT: exactly the meters of the scenario, each with its profile' : `WRONG RESULT: expected ${EXPECTED.join(', ')}`} |`,
      `| floor: ${silent + garbled} x ${TIMEOUT_MS} ms + answered transactions' wire time, turnaround and 3.5-char gap | ${(floorMs / 1000).toFixed(2)} s |`,
      `| measured | ${(elapsed / 1000).toFixed(2)} s |`,
      `| ratio (target <= ${TARGET}) | ${ratio.toFixed(3)} ${!right ? '(NOT met: wrong result)' : ratio <= TARGET ? '(met)' : '(NOT met)'} |`,
    ].join('\n');
    if (!right) return { ...base, markdown, failed: `WRONG RESULT: found ${found.join(', ')}; expected ${EXPECTED.join(', ')}` };
    return { ...base, markdown };
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
