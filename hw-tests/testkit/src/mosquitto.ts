/**
 * A real mosquitto broker for one test: 127.0.0.1, ports picked at run time, persistence in a temp
 * dir (so a stop/restart keeps persistent sessions and queued messages), killed in t.teardown.
 * Use with `testWith(['mosquitto'])` from ./system-tools.js. Benchmarks (no ava context) use
 * `launchMosquitto` and stop it themselves.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { freePort, waitForPort } from './ports.js';

export interface MosquittoOptions {
  /** user -> password: a password file is written and anonymous clients are refused. */
  users?: Record<string, string>;
  /** Adds a TLS listener (PEM files); `requireCertificate` makes it mutual TLS. */
  tls?: { caFile: string; certFile: string; keyFile: string; requireCertificate?: boolean };
  /** Default true. False: nothing survives a stop (what the benchmarks want). */
  persistence?: boolean;
  /** Default true: errors, warnings, notices and connections go to `log()`. False: no log at all. */
  logging?: boolean;
  /** Further mosquitto.conf lines, e.g. `max_inflight_messages 0`. */
  extraConf?: string[];
  /** Where the temp dir goes (default os.tmpdir()). */
  tmpDir?: string;
}

export interface Mosquitto {
  /** Plain listener, e.g. mqtt://127.0.0.1:41234 */
  url: string;
  port: number;
  /** TLS listener, when `tls` was given: mqtts://127.0.0.1:port */
  tlsUrl?: string;
  /** SIGTERM (mosquitto saves its persistence file) and wait for it to exit. */
  stop(): Promise<void>;
  /** Start again on the same ports with the same persistence. */
  restart(): Promise<void>;
  /** What mosquitto wrote to stderr, for failure messages. */
  log(): string;
}

export interface OwnedMosquitto extends Mosquitto {
  /** Stop and remove the temp dir. */
  dispose(): Promise<void>;
}

export { freePort } from './ports.js';

export async function startMosquitto(t: ExecutionContext, opts: MosquittoOptions = {}): Promise<Mosquitto> {
  let broker: OwnedMosquitto | undefined;
  t.teardown(async () => broker?.dispose());
  broker = await launchMosquitto(opts);
  return broker;
}

export async function launchMosquitto(opts: MosquittoOptions = {}): Promise<OwnedMosquitto> {
  const dir = mkdtempSync(join(opts.tmpDir ?? tmpdir(), 'prepaid-mosquitto-'));
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  const lines = [
    // Run as root, mosquitto would switch to user "mosquitto", which cannot write into our temp dir.
    `user ${userInfo().username}`,
    ...(opts.persistence === false ? ['persistence false'] : ['persistence true', `persistence_location ${dir}/`]),
    ...(opts.logging === false ? ['log_dest none'] : ['log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'log_type information']),
    `listener ${port} 127.0.0.1`,
    ...(opts.extraConf ?? []),
  ];
  if (opts.users) {
    const pw = join(dir, 'passwords');
    writeFileSync(pw, '');
    for (const [user, pass] of Object.entries(opts.users)) {
      const r = spawnSync('mosquitto_passwd', ['-b', pw, user, pass], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
    }
    lines.push(`allow_anonymous false`, `password_file ${pw}`);
  } else {
    lines.push(`allow_anonymous true`);
  }
  if (opts.tls && tlsPort) {
    lines.push(`listener ${tlsPort} 127.0.0.1`, `cafile ${opts.tls.caFile}`, `certfile ${opts.tls.certFile}`, `keyfile ${opts.tls.keyFile}`, `require_certificate ${opts.tls.requireCertificate ? 'true' : 'false'}`);
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n');

  let proc: ChildProcess | undefined;
  let stderr = '';
  const launch = async (): Promise<void> => {
    const p = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc = p;
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<never>((_, reject) => p.once('exit', (code) => reject(new Error(`mosquitto exited (${code}) while starting:\n${stderr}`))));
    exited.catch(() => undefined);
    await Promise.race([waitForPort(port, 10_000), exited]);
    if (tlsPort) await Promise.race([waitForPort(tlsPort, 10_000), exited]);
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
    if (/Error saving in-memory database/.test(stderr)) throw new Error(`mosquitto could not save its persistence file:\n${stderr}`);
  };
  const dispose = async (): Promise<void> => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await launch();
  } catch (e) {
    await dispose();
    throw e;
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    ...(tlsPort ? { tlsUrl: `mqtts://127.0.0.1:${tlsPort}` } : {}),
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    log: () => stderr,
    dispose,
  };
}
