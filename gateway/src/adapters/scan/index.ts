/**
 * Bus scanner: find the meters on a serial line and tell their profiles. A bounded scan that never
 * writes to a meter. Drive it from a CLI or the web console:
 *
 *   for await (const ev of scan({ path: '/dev/ttyUSB0', bauds: [9600], units: [1, 2, 3] })) {
 *     if (ev.type === 'progress') bar.update(ev.done, ev.total, ev.etaMs);
 *     else if (ev.type === 'found') list.push(ev.meter); // profile, or null with candidates + problem
 *     else if (ev.type === 'line-error') warn(ev.line, ev.message); // a setting the adapter refused
 *   }
 *
 * `scan` opens the port itself, once per line setting, and closes it when the generator ends
 * (also on `break` or `opts.signal` abort). It rejects with PrepaidError E_BUS_UNAVAILABLE when
 * the port is missing or held by another process (a running gateway service).
 */
export { scan } from './scan.js';
export { planScan, probeTimeoutMs, wireMs, etaMs, lineStopBits, DEFAULT_BAUDS, DEFAULT_PARITIES, DEFAULT_TURNAROUND_MS, ALL_UNITS, type ScanPlan } from './plan.js';
export { identifyProfile, presenceRead, wordsMatch, decide, type SignatureReader, type ReadOutcome, type Identification } from './identify.js';
export { formatTable, configSnippet, foundJson, inReportOrder, lineLabel } from './report.js';
export { openSerialLine } from './serial-line.js';
export { openTcpLine, parseTcpPath } from './tcp-line.js';
export type { ScanOptions, ScanDeps, ScanEvent, ScanProgress, ScanFound, ScanLineError, FoundMeter, LineSettings, ScanLine, Exchange, Verdict, ScanProtocol } from './types.js';
