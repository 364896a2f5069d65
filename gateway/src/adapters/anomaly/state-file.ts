/**
 * The anomaly engine's memory across restarts (alarms up, streaks, baselines) in a JSON file beside
 * the SQLite database (`<db>.anomaly.json`), so an alarm raised before a restart is not raised again
 * and baselines need not be relearned. Written whole after every pass (temp file, fsync, rename); a
 * missing or unreadable file means a fresh start.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { EngineSnapshot } from '../../core/anomaly/index.js';

export function anomalyStatePath(dbPath: string): string {
  return `${dbPath}.anomaly.json`;
}

export function readAnomalyState(file: string): EngineSnapshot | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as EngineSnapshot;
    return s && s.version === 1 && Array.isArray(s.alarms) && typeof s.baselines === 'object' ? s : undefined;
  } catch {
    return undefined;
  }
}

export function writeAnomalyState(file: string, s: EngineSnapshot): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(s));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
