/** A throw-away mosquitto on a free 127.0.0.1 port for one benchmark (no persistence). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../src/local-ports.js';

export interface BenchBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startBenchBroker(): Promise<BenchBroker> {
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`user ${userInfo().username}`, 'persistence false', 'log_dest none', `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_inflight_messages 0', 'max_queued_messages 0', ''].join('\n'));
  const proc = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await waitForPort(port, 10_000);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
