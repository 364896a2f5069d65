/** The live table of the demo: per meter its values, health and what the utility has received. */
import type { GatewayStatus } from '../runtime.js';

/** A command the demo's "utility" sent, and what the gateway answered. */
export interface DemoCommand {
  id: string;
  meter: string;
  what: string;
  result: string;
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const fmt = (v: number | undefined, digits: number) => (v === undefined ? '-' : v.toFixed(digits));

export function renderDemoTable(
  s: GatewayStatus,
  received: ReadonlyMap<string, { count: number; lastSeq: number; gaps: number }>,
  where: { broker: string; simPort: number },
  commands: readonly DemoCommand[] = [],
): string {
  const up = s.uplink as unknown as Record<string, unknown>;
  const lines = [
    `prepaid-edge demo  ${s.clock.iso}  gateway ${s.gateway} v${s.version}  up ${Math.round(s.uptimeMs / 1000)} s`,
    `simulator: modbus tcp 127.0.0.1:${where.simPort}   broker: ${where.broker} (${up.connected ? 'connected' : 'DISCONNECTED'})   outbox: ${s.outbox.readings} readings, ${s.outbox.events} events, ${s.outbox.dropped} dropped`,
    '',
    `${pad('meter', 10)}${pad('state', 7)}${lpad('V', 8)}${lpad('A', 8)}${lpad('W', 8)}${lpad('kWh', 12)}${lpad('ok%', 7)}${lpad('ms', 7)}${lpad('errors', 8)}  ${pad('utility got', 14)}${lpad('last seq', 9)}`,
  ];
  const credit = new Map((s.credit ?? []).map((c) => [c.meter, c]));
  for (const m of s.meters) {
    const v = m.latest?.values ?? {};
    const r = received.get(m.meter);
    const okPct = m.polls ? ((m.successes / m.polls) * 100).toFixed(0) : '-';
    const errors = Object.values(m.errors).reduce((a, b) => a + b, 0);
    lines.push(
      `${pad(m.meter, 10)}${pad(m.state, 7)}${lpad(fmt(v.voltageL1, 1), 8)}${lpad(fmt(v.currentL1, 2), 8)}${lpad(fmt(v.power, 0), 8)}${lpad(v.energyImport === undefined ? '-' : (v.energyImport / 1000).toFixed(3), 12)}` +
        `${lpad(okPct, 7)}${lpad(fmt(m.avgLatencyMs ?? undefined, 1), 7)}${lpad(String(errors), 8)}  ${pad(r ? `${r.count} readings` : '-', 14)}${lpad(r ? String(r.lastSeq) : '-', 9)}`,
    );
  }
  if (credit.size) {
    lines.push('', `${pad('account', 10)}${pad('customer', 10)}${lpad('credit', 12)}  ${pad('supply', 24)}`);
    for (const c of credit.values()) {
      const shown = c.creditUnit === 'currency' ? `${(c.balance / 1000).toFixed(3)} ${c.currency ?? ''}` : `${c.balance} Wh`;
      lines.push(`${pad(c.meter, 10)}${pad(c.customer, 10)}${lpad(shown, 12)}  ${pad(c.supply + (c.emergencyInUse ? ' (emergency)' : ''), 24)}`);
    }
  }
  if (commands.length) {
    lines.push('', 'utility commands (signed, over MQTT):');
    for (const c of commands.slice(-4)) lines.push(`  ${pad(c.meter, 8)} ${pad(c.what, 18)} -> ${c.result}`);
  }
  lines.push('', 'Ctrl-C stops the demo. Readings are buffered in data/demo-gateway.db and forwarded over MQTT (QoS 1).');
  return lines.join('\n');
}
