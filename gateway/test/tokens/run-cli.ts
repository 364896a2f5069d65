/** The token CLI two ways: in-process through commander (cheap, for every vector) and as a child process. */
import { execFile } from 'node:child_process';
import { Command } from 'commander';
import { registerTokenCommands } from '../../src/app/cli/token-cli.js';
import { CLI } from '../helpers/gateway-cli.js';

export { CLI } from '../helpers/gateway-cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** `args` as typed after `prepaid-gateway`, e.g. ['token', 'sts', 'decode', ...]. */
export function runInProcess(args: string[]): CliRun {
  let stdout = '';
  let stderr = '';
  const program = new Command('prepaid-gateway');
  registerTokenCommands(program, {
    out: (s) => void (stdout += s),
    err: (s) => void (stderr += s),
    exit: (code) => {
      throw new Exit(code);
    },
  });
  try {
    program.parse(args, { from: 'user' });
  } catch (e) {
    if (e instanceof Exit) return { code: e.code, stdout, stderr };
    throw e;
  }
  return { code: 0, stdout, stderr };
}

export function runChild(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        resolve({ code: -1, stdout, stderr: `${stderr}\n(child failed: ${err.message}, signal ${err.signal})` });
        return;
      }
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** The JSON line of a successful run. */
export function json(run: CliRun): Record<string, unknown> {
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected one line of JSON, got ${JSON.stringify(run.stdout)}`);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}
