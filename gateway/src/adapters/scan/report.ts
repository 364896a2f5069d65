/** What a scan found, for people: a table, and the `buses:` + `meters:` YAML to paste into the config. */
import type { FoundMeter } from './types.js';

const PARITY_LETTER = { none: 'N', even: 'E', odd: 'O' } as const;
const idOf = (m: FoundMeter): string => (m.protocol === 'modbus' ? `m${m.unit}` : `dlt-${m.address}`);
const busOf = (m: FoundMeter): string => `${m.protocol === 'modbus' ? 'rs485' : 'dlt645'}-${m.baudRate}-${m.parity}${m.stopBits === 2 ? '-2' : ''}`;

/** "9600 8N2": baud rate and character format (8 data bits, parity letter, stop bits). */
export function lineLabel(l: { baudRate: number; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2 }): string {
  return `${l.baudRate} 8${PARITY_LETTER[l.parity]}${l.stopBits}`;
}

/** The profile column: the profile, or the candidates when ambiguous, or "(unknown)". */
function profileCell(m: FoundMeter): string {
  if (m.profile) return m.profile;
  return m.candidates.length > 1 ? `? ${m.candidates.join(' | ')}` : '(unknown)';
}

/**
 * The order a technician reads a scan in, whatever order the line's timing found them in (a unit
 * whose reply came late is found after later units, or on a later pass): by baud rate, then parity
 * and stop bits as first met, Modbus before DL/T 645 on one line, Modbus meters by unit, DL/T 645
 * meters in search order.
 */
export function inReportOrder(found: readonly FoundMeter[]): FoundMeter[] {
  const framing = new Map<string, number>();
  for (const m of found) {
    const f = `${m.parity} ${m.stopBits}`;
    if (!framing.has(f)) framing.set(f, framing.size);
  }
  const proto = (m: FoundMeter) => (m.protocol === 'modbus' ? 0 : 1);
  return found
    .map((m, i) => ({ m, i }))
    .sort(
      (a, b) =>
        a.m.baudRate - b.m.baudRate ||
        framing.get(`${a.m.parity} ${a.m.stopBits}`)! - framing.get(`${b.m.parity} ${b.m.stopBits}`)! ||
        proto(a.m) - proto(b.m) ||
        (a.m.protocol === 'modbus' ? (a.m.unit ?? 0) - (b.m.unit ?? 0) : 0) ||
        a.i - b.i,
    )
    .map((x) => x.m);
}

export function formatTable(found: readonly FoundMeter[]): string {
  const rows = [
    ['protocol', 'address', 'line', 'profile', 'problem'],
    ...found.map((m) => [m.protocol, m.protocol === 'modbus' ? String(m.unit) : (m.address ?? ''), lineLabel(m), profileCell(m), m.problem ?? '']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/**
 * One bus per protocol x line setting, one meter per find. A meter whose profile was not told
 * gets `profile: unknown`, which `config check` refuses until someone sets it, and the problem as
 * a comment.
 */
export function configSnippet(found: readonly FoundMeter[], path: string): string {
  const buses = new Map<string, FoundMeter>();
  for (const m of found) if (!buses.has(busOf(m))) buses.set(busOf(m), m);
  const out = ['buses:'];
  for (const [id, m] of buses) {
    const type = m.protocol === 'modbus' ? 'rtu' : 'dlt645';
    const tcp = /^tcp:\/\/(.+):(\d+)\/?$/.exec(path);
    if (tcp && m.protocol === 'modbus') {
      out.push(`  - { id: ${id}, type: rtu-over-tcp, host: ${tcp[1]}, port: ${tcp[2]}, timeoutMs: 300 }`);
      continue;
    }
    out.push(`  - { id: ${id}, type: ${type}, path: ${path}, baudRate: ${m.baudRate}, parity: ${m.parity}, stopBits: ${m.stopBits}, timeoutMs: ${m.protocol === 'modbus' ? 300 : 1000} }`);
  }
  out.push('meters:');
  for (const m of found) {
    const where = m.protocol === 'modbus' ? `unit: ${m.unit}` : `address: "${m.address}"`;
    const profile = m.profile ?? 'unknown';
    const why = m.profile ? '' : `  # set it: ${m.problem ?? 'no profile signature holds'}${m.candidates.length ? ` (candidates: ${m.candidates.join(', ')})` : ''}`;
    out.push(`  - { id: ${idOf(m)}, bus: ${busOf(m)}, ${where}, profile: ${profile}, pollMs: ${m.protocol === 'modbus' ? 1000 : 6000} }${why}`);
  }
  return out.join('\n') + '\n';
}

/** `--json`: the found meters as they are, in the order found. */
export function foundJson(found: readonly FoundMeter[]): string {
  return (
    JSON.stringify(
      found.map((m) => ({
        unit: m.unit,
        ...(m.address ? { address: m.address } : {}),
        baudRate: m.baudRate,
        parity: m.parity,
        stopBits: m.stopBits,
        protocol: m.protocol,
        profile: m.profile,
        ...(m.profile ? {} : { candidates: m.candidates, problem: m.problem }),
      })),
      null,
      2,
    ) + '\n'
  );
}
