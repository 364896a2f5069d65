/**
 * Helper processes of a benchmark (servers, load generators): started with a pipe on stdin so they
 * can notice the bench process going away, announced by one JSON line on stdout, always stopped.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface HelperProcess<T> {
  readonly proc: ChildProcessWithoutNullStreams;
  /** The first stdout line that parses as JSON. */
  readonly ready: T;
  /** SIGTERM, then SIGKILL if still alive after `graceMs`. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL_CHARS = 4000;

/** Start `cmd` and wait (up to `timeoutMs`) for its first JSON line on stdout. */
export async function startHelper<T>(cmd: string, args: string[], timeoutMs = 20_000): Promise<HelperProcess<T>> {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderrTail = '';
  proc.stderr.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-TAIL_CHARS)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (graceMs = 3000): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.stdin.end();
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  try {
    const ready = await new Promise<T>((resolve, reject) => {
      let out = '';
      const fail = (why: string): void => reject(new Error(`${cmd} ${why}\n${stderrTail}`));
      const timer = setTimeout(() => fail(`printed no ready line within ${timeoutMs} ms`), timeoutMs);
      proc.once('error', (e) => fail(`failed to start: ${e.message}`));
      proc.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before it was ready`));
      let found = false;
      proc.stdout.on('data', (d: Buffer) => {
        if (found) return; // later output is drained and ignored, so the helper never blocks on a full pipe
        out += d.toString();
        let nl: number;
        while ((nl = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, nl).trim();
          out = out.slice(nl + 1);
          try {
            const value = JSON.parse(line) as T;
            found = true;
            clearTimeout(timer);
            resolve(value);
            return;
          } catch {
            // not the ready line (a log line): keep reading
          }
        }
      });
    });
    return { proc, ready, stop };
  } catch (e) {
    await stop(500);
    throw e;
  }
}

export interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (killed after `timeoutMs`). Never rejects on a non-zero exit. */
export function runToEnd(cmd: string, args: string[], timeoutMs: number): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
