/** What a scan found, for people: a table, and the `buses:` + `meters:` YAML to paste into the config. */
import type { FoundMeter } from './types.js';

const idOf = (m: FoundMeter): string => (m.protocol === 'modbus' ? `m${m.unit}` : `dlt-${m.address}`);
const busOf = (m: FoundMeter): string => `${m.protocol === 'modbus' ? 'rs485' : 'dlt645'}-${m.baudRate}-${m.parity}`;

export function formatTable(found: readonly FoundMeter[]): string {
  const rows = [['protocol', 'address', 'baud', 'parity', 'profile'], ...found.map((m) => [m.protocol, m.protocol === 'modbus' ? String(m.unit) : m.address ?? '', String(m.baudRate), m.parity, m.profile ?? '(unknown)'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/**
 * One bus per protocol x line setting, one meter per find. A meter whose profile was not
 * recognised gets `profile: unknown`, which `config check` refuses until someone sets it.
 */
export function configSnippet(found: readonly FoundMeter[], path: string): string {
  const buses = new Map<string, FoundMeter>();
  for (const m of found) if (!buses.has(busOf(m))) buses.set(busOf(m), m);
  const out = ['buses:'];
  for (const [id, m] of buses) {
    const type = m.protocol === 'modbus' ? 'rtu' : 'dlt645';
    out.push(`  - { id: ${id}, type: ${type}, path: ${path}, baudRate: ${m.baudRate}, parity: ${m.parity}, timeoutMs: ${m.protocol === 'modbus' ? 300 : 1000} }`);
  }
  out.push('meters:');
  for (const m of found) {
    const where = m.protocol === 'modbus' ? `unit: ${m.unit}` : `address: "${m.address}"`;
    const profile = m.profile ?? 'unknown';
    out.push(`  - { id: ${idOf(m)}, bus: ${busOf(m)}, ${where}, profile: ${profile}, pollMs: ${m.protocol === 'modbus' ? 1000 : 6000} }${m.profile ? '' : '  # no profile signature matched: set it'}`);
  }
  return out.join('\n') + '\n';
}

/** `--json`: the found meters as they are, in the order found. */
export function foundJson(found: readonly FoundMeter[]): string {
  return JSON.stringify(found.map((m) => ({ unit: m.unit, ...(m.address ? { address: m.address } : {}), baudRate: m.baudRate, parity: m.parity, protocol: m.protocol, profile: m.profile })), null, 2) + '\n';
}
