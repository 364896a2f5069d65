/**
 * CPU time and memory of a process from /proc (Linux), so the fleet can report the broker and the
 * worker processes it started as well as itself. Elsewhere only the own process is known.
 */
import { readFileSync } from 'node:fs';

export interface ProcSample {
  pid: number;
  /** user + system CPU time so far, ms */
  cpuMs: number;
  rssBytes: number;
  /** Peak RSS (VmHWM), bytes */
  peakRssBytes: number;
}

/** Clock ticks per second of /proc/<pid>/stat: USER_HZ, 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { pid, cpuMs: (ticks * 1000) / USER_HZ, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    if (pid !== process.pid) return undefined;
    const cpu = process.cpuUsage();
    const rss = process.memoryUsage.rss();
    return { pid, cpuMs: (cpu.user + cpu.system) / 1000, rssBytes: rss, peakRssBytes: rss };
  }
}
