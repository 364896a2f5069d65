/**
 * Bus scan speed: addresses 1-247 at one line setting (9600 8N1) on the simulator with wire timing
 * over a socat pty, four meters present. Nearly every address is absent, so the scan's floor is set
 * by the timeout: absent probes x timeout, plus each answered transaction's request and reply wire
 * time, the simulated meter's turnaround and the 3.5-character silence before the next request.
 * Target: within 1.2x of that floor.
 */
import { spawnSync } from 'node:child_process';
import { Simulator } from '@prepaid-edge/simulator';
import { bitsPerChar, interFrameMs } from '@prepaid-edge/protocols';
import { openSerialLine, scan, wireMs, type LineSettings, type ScanLine } from '../src/scan/index.js';
import { ptyPair } from './pty-pair.js';

/**
 * 100 ms rather than 50: on a loaded machine the simulator's replies (28-35 ms of wire time at
 * 9600) were seen to arrive up to 47 ms after the request, and a scan that misses meters is no
 * benchmark. The default timeout (wire time + 50 ms) would be 68 ms for the presence probe here.
 */
const TIMEOUT_MS = 100;
const TURNAROUND_MS = 2; // the simulator's --turnaround-ms default
const TARGET = 1.2;
const LINE: LineSettings = { baudRate: 9600, parity: 'none' };
const EXPECTED = ['1:sdm630', '50:sdm120', '120:prepaid', '247:sdm120'];
const PRESENT = [{ units: [1], profile: 'sdm630' as const }, { units: [50], profile: 'sdm120' as const }, { units: [120], profile: 'prepaid' as const }, { units: [247], profile: 'sdm120' as const }];

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string; skipped?: string }> {
  const base = { id: 'scan', title: 'Technician CLI: bus scan of addresses 1-247 at 9600 8N1 (wire timing)', command: 'prepaid-gateway scan --path PTY --bauds 9600 --parity none --units 1-247 --protocol modbus --timeout 100 (gateway/bench/scan.bench.ts)' };
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).error) return { ...base, markdown: '', skipped: 'socat is not installed (apt-get install socat)' };
  const pty = await ptyPair();
  const sim = new Simulator({ meters: 0, seed: 'scan-bench', timing: 'wire', baudRate: LINE.baudRate, parity: LINE.parity, turnaroundMs: TURNAROUND_MS, scenario: { meters: PRESENT } });
  try {
    await sim.openSerial(pty.a);
    let silent = 0;
    let answered = 0;
    let floorMs = 0;
    const gap = interFrameMs(LINE.baudRate, bitsPerChar(LINE.parity));
    // Count what the floor is made of, exchange by exchange, from what the scan actually sent.
    const openLine = async (path: string, line: LineSettings & { stopBits: 1 | 2 }): Promise<ScanLine> => {
      const real = await openSerialLine(path, line);
      return {
        close: () => real.close(),
        exchange: async (request, timeoutMs, complete) => {
          const x = await real.exchange(request, timeoutMs, complete);
          if (x.kind === 'silence') {
            silent++;
            floorMs += timeoutMs;
          } else {
            answered++;
            floorMs += wireMs(request.length + x.bytes.length, line) + TURNAROUND_MS + gap;
          }
          return x;
        },
      };
    };
    const found: string[] = [];
    const t0 = performance.now();
    for await (const ev of scan({ path: pty.b, bauds: [LINE.baudRate], parities: [LINE.parity], protocol: 'modbus', timeoutMs: TIMEOUT_MS }, { openLine })) {
      if (ev.type === 'found') found.push(`${ev.meter.unit}:${ev.meter.profile}`);
    }
    const elapsed = performance.now() - t0;
    const ratio = elapsed / floorMs;
    const markdown = [
      `Simulator with \`--timing wire\` at 9600 8N1 (turnaround ${TURNAROUND_MS} ms) on a socat pty pair; meters at units 1 (sdm630), 50 (sdm120), 120 (prepaid), 247 (sdm120). One scan of units 1-247 at one line setting, Modbus only.`,
      '',
      '| quantity | value |',
      '|---|---|',
      `| timeout on absent addresses | ${TIMEOUT_MS} ms |`,
      `| probes without reply | ${silent} |`,
      `| transactions answered (presence + signature reads) | ${answered} |`,
      `| meters found | ${found.join(', ')} ${found.join() === EXPECTED.join() ? '(all, each with its profile)' : `(EXPECTED ${EXPECTED.join(', ')})`} |`,
      `| floor: ${silent} x ${TIMEOUT_MS} ms + answered transactions' wire time, turnaround and 3.5-char gap | ${(floorMs / 1000).toFixed(2)} s |`,
      `| measured | ${(elapsed / 1000).toFixed(2)} s |`,
      `| ratio (target <= ${TARGET}) | ${ratio.toFixed(3)} ${ratio <= TARGET ? '(met)' : '(NOT met)'} |`,
    ].join('\n');
    return { ...base, markdown };
  } finally {
    await sim.close();
    await pty.close();
  }
}
