/**
 * A pseudo-terminal pair the simulator owns (`prepaid-sim --pty PATH`): socat links the master's
 * end at PATH and the simulator's end in a private directory. Owning both ends is what lets the
 * bus read the line settings the master sets on PATH (line-sense.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrepaidError } from '@prepaid-edge/protocols';

export interface OwnedPty {
  /** The master's end (the path given). */
  path: string;
  /** The simulator's end. */
  simPath: string;
  close(): Promise<void>;
}

export async function openOwnedPty(path: string): Promise<OwnedPty> {
  if (existsSync(path)) throw new PrepaidError('E_BUS_UNAVAILABLE', `--pty ${path}: already exists; give a path for a new link`, { path });
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-sim-pty-'));
  const simPath = join(dir, 'sim');
  let proc: ChildProcess;
  try {
    proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${simPath}`, `pty,raw,echo=0,link=${path}`], { stdio: 'ignore' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new PrepaidError('E_BUS_UNAVAILABLE', `--pty needs socat (apt-get install socat): ${(e as Error).message}`, { path }, { cause: e });
  }
  let spawnError: Error | undefined;
  proc.once('error', (e) => (spawnError = e));
  const deadline = Date.now() + 10_000;
  while (!(existsSync(path) && existsSync(simPath))) {
    if (spawnError || proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      const why = spawnError ? `socat did not start (apt-get install socat): ${spawnError.message}` : 'socat did not create the pty pair';
      throw new PrepaidError('E_BUS_UNAVAILABLE', `--pty ${path}: ${why}`, { path });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    path,
    simPath,
    close: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
