/** `prepaid-gateway read` and `watch`: values of meters, read directly on their buses. */
import { MEASUREMENTS, PrepaidError, systemClock, type Clock } from '@prepaid-edge/protocols';
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

export function readCommand(o: { config: string; meter: string; json?: boolean }, clock: Clock = systemClock): Promise<void> {
  return guarded(async () => {
    const buses = new DirectBuses(loadConfig(o.config));
    try {
      const values = await buses.read(o.meter);
      process.stdout.write(o.json ? `${JSON.stringify({ meter: o.meter, ts: clock.now(), values })}\n` : `${o.meter}\n${valuesTable(values)}`);
    } finally {
      await buses.close();
    }
  });
}

/**
 * One row per meter, one column per value name any of them has. Wider than `width`: the value
 * columns are split into several tables one under the other, each starting with the meter column,
 * so nothing is cut and no line is longer than `width` (an error text is shortened to fit).
 */
export function watchTable(rows: ReadonlyArray<{ meter: string; values?: Record<string, number>; error?: string }>, width = Infinity): string {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.values ?? {})))];
  const header = ['meter', ...names.map((n) => (MEASUREMENTS[n]?.unit ? `${n} [${MEASUREMENTS[n]!.unit}]` : n))];
  const body = rows.map((r) => (r.values ? [r.meter, ...names.map((n) => (r.values![n] === undefined ? '' : show(r.values![n]!)))] : [r.meter]));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]?.length ?? 0)));
  const groups: number[][] = [];
  let group: number[] = [];
  let used = widths[0]!;
  for (let i = 1; i < header.length; i++) {
    if (group.length > 0 && used + 2 + widths[i]! > width) {
      groups.push(group);
      group = [];
      used = widths[0]!;
    }
    group.push(i);
    used += 2 + widths[i]!;
  }
  if (group.length || groups.length === 0) groups.push(group);
  const fit = (line: string) => (line.length > width ? `${line.slice(0, Math.max(1, width - 1))}…` : line);
  const line = (cells: string[], cols: number[]) => fit([0, ...cols].map((c, k) => (k === cols.length ? (cells[c] ?? '') : (cells[c] ?? '').padEnd(widths[c]!))).join('  ').trimEnd());
  const tables = groups.map((cols, g) =>
    [line(header, cols), ...rows.map((r, i) => (r.values ? line(body[i]!, cols) : g === 0 ? fit(`${r.meter.padEnd(widths[0]!)}  ${r.error ?? ''}`.trimEnd()) : undefined))].filter((l) => l !== undefined).join('\n'),
  );
  return tables.join('\n\n') + '\n';
}

/** --width, else the terminal's columns, else no limit (a pipe gets whole lines). */
export function tableWidth(option: string | undefined, stdout: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (option !== undefined) {
    const w = Number(option);
    if (!Number.isInteger(w) || w < 20) throw new PrepaidError('E_CONFIG_INVALID', `--width: "${option}" is not a number of columns >= 20`, { path: 'width' });
    return w;
  }
  return stdout.isTTY && stdout.columns ? stdout.columns : Infinity;
}

export function watchCommand(o: { config: string; meter?: string[]; interval?: string; count?: string; width?: string }, clock: Clock = systemClock): Promise<void> {
  return guarded(async () => {
    const fixedWidth = o.width !== undefined ? tableWidth(o.width) : undefined;
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
        const started = clock.monotonic();
        const stampedAt = clock.now();
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
        const stamp = new Date(stampedAt).toISOString();
        // A terminal gets the table redrawn in place; a pipe gets one table per poll.
        process.stdout.write(`${tty ? '\x1b[H\x1b[2J' : ''}${stamp}\n${watchTable(rows, fixedWidth ?? tableWidth(undefined))}${tty ? '' : '\n'}`);
        const wait = interval - (clock.monotonic() - started);
        if (n + 1 < count && !stop && wait > 0) await new Promise<void>((r) => clock.setTimeout(r, wait));
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      await buses.close();
    }
  });
}
