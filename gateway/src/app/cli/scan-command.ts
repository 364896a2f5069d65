/** `prepaid-gateway scan`: drive the scan engine with a progress bar; table + config snippet, or JSON. */
import { writeFileSync } from 'node:fs';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { Parity } from '../../core/config/gateway-config.js';
import { configSnippet, formatTable, foundJson, inReportOrder, lineLabel, scan, type FoundMeter, type ScanProtocol } from '../../adapters/scan/index.js';
import { guarded } from './fail.js';
import { ProgressBar } from './progress.js';

export interface ScanCommandOptions {
  path: string;
  bauds: string[];
  parity: string[];
  units: string;
  protocol: string;
  timeout?: string;
  stopBits?: string;
  json?: boolean;
  out?: string;
}

/** "1-247", "1,5,10-20" -> unit ids in order, without repeats. */
export function parseUnits(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const from = m ? Number(m[1]) : NaN;
    const to = m?.[2] !== undefined ? Number(m[2]) : from;
    if (!m || from < 1 || to > 247 || to < from) throw new PrepaidError('E_CONFIG_INVALID', `--units: "${part}" is not a unit id or range within 1-247`, { path: 'units' });
    for (let u = from; u <= to; u++) out.add(u);
  }
  if (out.size === 0) throw new PrepaidError('E_CONFIG_INVALID', '--units: no unit ids', { path: 'units' });
  return [...out];
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new PrepaidError('E_CONFIG_INVALID', `${name}: "${v}" is not a positive integer`, { path: name.replace(/^--/, '') });
  return n;
}

export function scanCommand(o: ScanCommandOptions): Promise<void> {
  return guarded(async () => {
    const parities = o.parity.map((p) => {
      if (p !== 'none' && p !== 'even' && p !== 'odd') throw new PrepaidError('E_CONFIG_INVALID', `--parity: "${p}" is not none, even or odd`, { path: 'parity' });
      return p as Parity;
    });
    if (!['modbus', 'dlt645', 'both'].includes(o.protocol)) throw new PrepaidError('E_CONFIG_INVALID', `--protocol: "${o.protocol}" is not modbus, dlt645 or both`, { path: 'protocol' });
    const bauds = o.bauds.map((b) => positiveInt('--bauds', b));
    const units = parseUnits(o.units);
    if (o.stopBits !== undefined && o.stopBits !== '1' && o.stopBits !== '2') throw new PrepaidError('E_CONFIG_INVALID', `--stop-bits: "${o.stopBits}" is not 1 or 2`, { path: 'stopBits' });
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once('SIGINT', onSigint);
    // Progress goes to stderr so `--json > found.json` stays clean.
    const bar = new ProgressBar(process.stderr);
    const found: FoundMeter[] = [];
    try {
      for await (const ev of scan({
        path: o.path,
        bauds,
        parities,
        units,
        protocol: o.protocol as ScanProtocol,
        ...(o.timeout !== undefined ? { timeoutMs: positiveInt('--timeout', o.timeout) } : {}),
        ...(o.stopBits !== undefined ? { stopBits: Number(o.stopBits) as 1 | 2 } : {}),
        signal: ac.signal,
      })) {
        if (ev.type === 'progress') bar.update(ev.done, ev.total, ev.etaMs, `${ev.line.baudRate} ${ev.line.parity}, ${ev.found} found`);
        else if (ev.type === 'found') {
          found.push(ev.meter);
          const m = ev.meter;
          bar.note(`found ${m.protocol} ${m.unit ?? m.address} at ${lineLabel(m)}: ${m.profile ?? `profile unknown (${m.problem ?? 'no signature holds'})`}`);
        } else bar.note(`skipped ${ev.line.baudRate} ${ev.line.parity}: ${ev.message}`);
      }
    } finally {
      bar.end();
      process.removeListener('SIGINT', onSigint);
    }
    if (ac.signal.aborted) process.stderr.write('scan interrupted: showing what was found so far\n');
    found.splice(0, found.length, ...inReportOrder(found));
    if (o.json) {
      process.stdout.write(foundJson(found));
      return;
    }
    process.stdout.write(found.length ? formatTable(found) : 'no meters found\n');
    if (!found.length) return;
    const snippet = configSnippet(found, o.path);
    if (o.out) {
      writeFileSync(o.out, snippet);
      process.stdout.write(`config snippet written to ${o.out}\n`);
    } else process.stdout.write(`\n# config snippet (buses: and meters:)\n${snippet}`);
  });
}
