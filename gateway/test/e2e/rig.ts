/** Shared pieces of the end-to-end tests: a config from an object, an in-process gateway, the CLI as a child. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import YAML from 'yaml';
import { parseConfig } from '../../src/app/config/load-config.js';
import type { GatewayConfig } from '../../src/core/config/gateway-config.js';
import { Gateway } from '../../src/app/runtime.js';
import type { Clock } from '@prepaid-edge/protocols';
import type { NewEvent } from '../../src/core/model.js';
import { PREFIX, quietLog } from '../uplink/helpers.js';
import { CLI } from '../helpers/gateway-cli.js';

export { CLI } from '../helpers/gateway-cli.js';

/** A raw config object with fast test timings; `over` replaces whole sections. */
export function rawConfig(gw: string, db: string, mqttUrl: string, over: Record<string, unknown>): Record<string, unknown> {
  return {
    gateway: { id: gw },
    storage: { path: db, synchronous: 'normal' },
    mqtt: { url: mqttUrl, topicPrefix: PREFIX, clientId: `gw-${gw}`, reconnectMinMs: 100, reconnectMaxMs: 1000, batchSize: 50, inflight: 8, healthIntervalMs: 1000, keepaliveSec: 5, lingerMs: 0 },
    log: { level: process.env.TEST_LOG_LEVEL ?? 'silent' },
    ...over,
  };
}

/** Through the real YAML parser and validator, so defaults are the shipped ones. */
export function configOf(raw: Record<string, unknown>): GatewayConfig {
  return parseConfig(YAML.stringify(raw), 'e2e');
}

/** An in-process gateway, stopped in teardown; `clock` replaces the system clock, `events` collects every event it raises. */
export async function startGateway(t: ExecutionContext, cfg: GatewayConfig, opts: { clock?: Clock; events?: NewEvent[] } = {}): Promise<Gateway> {
  const gw = new Gateway(cfg, { log: quietLog(), ...(opts.clock ? { clock: opts.clock } : {}) });
  const events = opts.events;
  if (events) gw.observers.add({ event: (e) => events.push(e) });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await gw.stop('teardown');
  });
  await gw.start();
  const stop = gw.stop.bind(gw);
  gw.stop = async (reason?: string) => {
    stopped = true;
    await stop(reason);
  };
  return gw;
}

export interface CliChild {
  proc: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

/** `prepaid-gateway run --config FILE` as a child process; SIGKILLed in teardown if still alive. */
export function runCli(t: ExecutionContext, dir: string, raw: Record<string, unknown>, name = 'gateway.yaml'): CliChild {
  const file = join(dir, name);
  writeFileSync(file, YAML.stringify(raw));
  return runFile(t, file);
}

/** `prepaid-gateway run --config FILE` on a file as it is (a restart keeps what the gateway wrote back to it). */
export function runFile(t: ExecutionContext, file: string): CliChild {
  const proc = spawn(process.execPath, [CLI, 'run', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, stderr: () => stderr, exited };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
