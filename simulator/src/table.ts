/** The live table `prepaid-sim` and `npm start` print: what each meter serves right now. */
import type { TrueState } from './meters/sim-meter.js';

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function renderTable(states: readonly TrueState[], header: string, maxRows = 20): string {
  const lines = [header, `${pad('unit', 5)}${pad('profile', 9)}${lpad('V', 8)}${lpad('A', 9)}${lpad('W', 9)}${lpad('kWh', 13)}  ${pad('relay', 6)}${pad('faults', 18)}${lpad('reqs', 7)}`];
  for (const s of states.slice(0, maxRows)) {
    const v = s.snapshot;
    const faults = s.powered ? s.faults.map((f) => f.type).join(',') : 'POWER LOST';
    lines.push(
      `${pad(String(s.unit), 5)}${pad(s.profile, 9)}${lpad((v.voltage[0] ?? 0).toFixed(1), 8)}${lpad((v.current[0] ?? 0).toFixed(3), 9)}${lpad(String(v.power), 9)}` +
        `${lpad((v.energyImportWh / 1000).toFixed(3), 13)}  ${pad(s.relayClosed ? 'closed' : 'OPEN', 6)}${pad(faults || '-', 18)}${lpad(String(s.requests), 7)}`,
    );
  }
  if (states.length > maxRows) lines.push(`... and ${states.length - maxRows} more meters`);
  return lines.join('\n');
}
