/** The console's ScanRunner on top of the bus-scan engine (gateway/src/scan), loaded when first used. */
import type { ScanHit, ScanProgress, ScanRunner } from './scan-jobs.js';

const PARITY_LETTER = { none: 'N', even: 'E', odd: 'O' } as const;

export const consoleScanRunner: ScanRunner = async (req, onProgress, signal) => {
  const { scan } = await import('../scan/index.js');
  const found: ScanHit[] = [];
  const p: ScanProgress = { done: 0, total: 0, found };
  const units = Array.from({ length: req.units.to - req.units.from + 1 }, (_, i) => req.units.from + i);
  for await (const ev of scan({ path: req.path, bauds: req.baudRates, parities: req.parities, units, protocol: req.protocol, signal, ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}) })) {
    if (ev.type === 'progress') {
      p.done = ev.done;
      p.total = ev.total;
      p.current = `${ev.line.baudRate} 8${PARITY_LETTER[ev.line.parity]}1, about ${Math.ceil(ev.etaMs / 1000)} s left`;
    } else if (ev.type === 'found') {
      const m = ev.meter;
      found.push({ ...(m.unit !== null ? { unit: m.unit } : {}), ...(m.address ? { address: m.address } : {}), baudRate: m.baudRate, parity: m.parity, ...(m.profile ? { profile: m.profile } : {}), detail: { protocol: m.protocol } });
    } else {
      p.current = `${ev.line.baudRate} 8${PARITY_LETTER[ev.line.parity]}1 refused by the port: ${ev.code}`;
    }
    onProgress(p);
  }
  return found;
};
