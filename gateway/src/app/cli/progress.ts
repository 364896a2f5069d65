/**
 * A one-line progress bar with ETA on a terminal; on anything else (a pipe, a log file) plain lines
 * at each 10 %. Thirty lines of our own rather than cli-progress: we need one bar, no multi-bar,
 * no themes, and the plain-line fallback is the part that matters for logs.
 */
import { systemClock, type Clock } from '@prepaid-edge/protocols';

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export class ProgressBar {
  private lastDecile = -1;
  private lastDraw = 0;

  /** `clock`: monotonic time for the redraw rate. */
  constructor(
    private readonly out: ProgressSink,
    private readonly clock: Pick<Clock, 'monotonic'> = systemClock,
  ) {}

  update(done: number, total: number, etaMs: number, label: string): void {
    const pct = total > 0 ? done / total : 1;
    const text = `${String(Math.floor(pct * 100)).padStart(3)}% ${done}/${total} ETA ${formatDuration(etaMs)} ${label}`;
    if (this.out.isTTY) {
      if (done < total && this.clock.monotonic() - this.lastDraw < 100) return; // at most 10 redraws a second
      this.lastDraw = this.clock.monotonic();
      const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - text.length - 4));
      const filled = Math.round(pct * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`);
      return;
    }
    const decile = Math.floor(pct * 10);
    if (decile === this.lastDecile) return;
    this.lastDecile = decile;
    this.out.write(`${text}\n`);
  }

  /** Print a line above the bar (a find). */
  note(line: string): void {
    this.out.write(this.out.isTTY ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  end(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
