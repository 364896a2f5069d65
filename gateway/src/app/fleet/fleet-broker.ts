/**
 * The broker the fleet publishes to: a URL given by the user, a throw-away mosquitto on a free
 * 127.0.0.1 port (when the mosquitto binary is installed), or the embedded aedes broker.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../demo/embedded-broker.js';
import { freePort, waitForPort } from '@prepaid-edge/protocols/loopback';

export { freePort } from '@prepaid-edge/protocols/loopback';

export interface FleetBroker {
  kind: 'external' | 'mosquitto' | 'embedded';
  url: string;
  /** The broker's own process, when the fleet started one (for its CPU and RSS). */
  pid?: number;
  stop(): Promise<void>;
}

/** `spec`: an mqtt:// URL, 'embedded', 'mosquitto', or undefined for mosquitto-if-installed-else-embedded. */
export async function startFleetBroker(spec: string | undefined, dir: string): Promise<FleetBroker> {
  if (spec && spec !== 'embedded' && spec !== 'mosquitto') return { kind: 'external', url: spec, stop: async () => undefined };
  if (spec === 'mosquitto' || (spec === undefined && hasMosquitto())) return startMosquitto(dir);
  const b = await startEmbeddedBroker(0);
  return { kind: 'embedded', url: b.url, pid: process.pid, stop: () => b.close() };
}

function hasMosquitto(): boolean {
  return spawnSync('mosquitto', ['-h'], { stdio: 'ignore', timeout: 5000 }).error === undefined;
}

async function startMosquitto(dir: string): Promise<FleetBroker> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // No limit on messages queued for the head end: a slow subscriber must show up as latency, not
  // as QoS 1 messages mosquitto silently drops at its default max_queued_messages (1000).
  writeFileSync(conf, [`user ${userInfo().username}`, 'persistence false', 'log_dest none', `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_queued_messages 0', ''].join('\n'));
  const proc = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await waitForPort(port, 10_000, () => proc.exitCode !== null);
  return {
    kind: 'mosquitto',
    url: `mqtt://127.0.0.1:${port}`,
    ...(proc.pid ? { pid: proc.pid } : {}),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
