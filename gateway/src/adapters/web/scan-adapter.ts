/** The console's ScanRunner on top of the bus-scan engine (gateway/src/scan), loaded when first used. */
import type { FoundMeter } from '../scan/types.js';
import type { ScanHit, ScanProgress, ScanRunner } from './scan-jobs.js';

const PARITY_LETTER = { none: 'N', even: 'E', odd: 'O' } as const;

/** A found meter as the console shows it: line as "9600 8E1"; without a profile, the candidates and the problem. */
export function scanHit(m: FoundMeter): ScanHit {
  return {
    ...(m.unit !== null ? { unit: m.unit } : {}),
    ...(m.address ? { address: m.address } : {}),
    baudRate: m.baudRate,
    parity: m.parity,
    stopBits: m.stopBits,
    line: `${m.baudRate} 8${PARITY_LETTER[m.parity]}${m.stopBits}`,
    ...(m.profile ? { profile: m.profile } : { candidates: m.candidates, ...(m.problem ? { problem: m.problem } : {}) }),
    detail: { protocol: m.protocol },
  };
}

export const consoleScanRunner: ScanRunner = async (req, onProgress, signal) => {
  const { scan, lineLabel, lineStopBits } = await import('../scan/index.js');
  const found: ScanHit[] = [];
  const p: ScanProgress = { done: 0, total: 0, found };
  const units = Array.from({ length: req.units.to - req.units.from + 1 }, (_, i) => req.units.from + i);
  const label = (line: { baudRate: number; parity: 'none' | 'even' | 'odd' }) => lineLabel({ ...line, stopBits: lineStopBits({}, line) });
  for await (const ev of scan({ path: req.path, bauds: req.baudRates, parities: req.parities, units, protocol: req.protocol, signal, ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}) })) {
    if (ev.type === 'progress') {
      p.done = ev.done;
      p.total = ev.total;
      p.current = `${label(ev.line)}, about ${Math.ceil(ev.etaMs / 1000)} s left`;
    } else if (ev.type === 'found') {
      found.push(scanHit(ev.meter));
    } else {
      p.current = `${label(ev.line)} refused by the port: ${ev.code}`;
    }
    onProgress(p);
  }
  return found;
};
