/** `prepaid-gateway read` and `watch`: values of meters, read directly on their buses. */
import { MEASUREMENTS, PrepaidError } from '@prepaid-edge/protocols';
import { loadConfig } from '../config/load-config.js';
import { DirectBuses } from './direct-bus.js';
import { guarded } from './fail.js';

function show(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

/** name | value | unit, one row per value. */
export function valuesTable(values: Record<string, number>): string {
  const rows = Object.entries(values).map(([k, v]) => [k, show(v), MEASUREMENTS[k]?.unit ?? '']);
  const w0 = Math.max(0, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(0, ...rows.map((r) => r[1]!.length));
  return rows.map(([k, v, u]) => `${k!.padEnd(w0)}  ${v!.padStart(w1)} ${u}`.trimEnd()).join('\n') + '\n';
}

export function readCommand(o: { config: string; meter: string; json?: boolean }): Promise<void> {
  return guarded(async () => {
    const buses = new DirectBuses(loadConfig(o.config));
    try {
      const values = await buses.read(o.meter);
      process.stdout.write(o.json ? `${JSON.stringify({ meter: o.meter, ts: Date.now(), values })}\n` : `${o.meter}\n${valuesTable(values)}`);
    } finally {
      await buses.close();
    }
  });
}

/** One row per meter, one column per value name any of them has. */
export function watchTable(rows: ReadonlyArray<{ meter: string; values?: Record<string, number>; error?: string }>): string {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.values ?? {})))];
  const header = ['meter', ...names.map((n) => (MEASUREMENTS[n]?.unit ? `${n} [${MEASUREMENTS[n]!.unit}]` : n))];
  const body = rows.map((r) => (r.values ? [r.meter, ...names.map((n) => (r.values![n] === undefined ? '' : show(r.values![n]!)))] : [r.meter, r.error ?? '']));
  const valueRows = body.filter((_, i) => rows[i]!.values);
  const widths = header.map((h, i) => Math.max(h.length, ...valueRows.map((b) => b[i]!.length), ...(i === 0 ? body.map((b) => b[0]!.length) : [])));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}

export function watchCommand(o: { config: string; meter?: string[]; interval?: string; count?: string }): Promise<void> {
  return guarded(async () => {
    const cfg = loadConfig(o.config);
    const buses = new DirectBuses(cfg);
    const ids = o.meter ?? cfg.meters.map((m) => m.id);
    const meters = ids.map((id) => buses.meter(id));
    const interval = o.interval !== undefined ? Number(o.interval) : Math.min(...meters.map((m) => m.pollMs));
    const count = o.count !== undefined ? Number(o.count) : Infinity;
    if (!Number.isFinite(interval) || interval <= 0) throw new PrepaidError('E_CONFIG_INVALID', `--interval: "${o.interval}" is not a positive number of ms`, { path: 'interval' });
    let stop = false;
    const onSigint = () => void (stop = true);
    process.once('SIGINT', onSigint);
    const tty = process.stdout.isTTY === true;
    try {
      for (let n = 0; n < count && !stop; n++) {
        const started = Date.now();
        const rows = [];
        for (const m of meters) {
          try {
            rows.push({ meter: m.id, values: await buses.read(m.id) });
          } catch (e) {
            const code = (e as { code?: string }).code;
            if (code === 'E_BUS_UNAVAILABLE') throw e;
            rows.push({ meter: m.id, error: `${code ?? 'error'}: ${(e as Error).message}` });
          }
        }
        const stamp = new Date(started).toISOString();
        // A terminal gets the table redrawn in place; a pipe gets one table per poll.
        process.stdout.write(`${tty ? '\x1b[H\x1b[2J' : ''}${stamp}\n${watchTable(rows)}${tty ? '' : '\n'}`);
        const wait = interval - (Date.now() - started);
        if (n + 1 < count && !stop && wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      await buses.close();
    }
  });
}
