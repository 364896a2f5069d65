/**
 * Issue 11, item 3: the database owner lock on the real `prepaid-gateway run` process. A lock the
 * OS drops with the process, so neither an old pid file nor a pid reused after a reboot keeps a
 * restarted gateway out; a second gateway on the same file is refused at once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { Simulator } from '@prepaid-edge/simulator';
import { lockFileOf } from '../../src/adapters/store/owner-lock.js';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { subscribe, waitFor } from '../uplink/helpers.js';
import { openGatewayDb, seqTotal, type GatewayDb } from './gateway-db.js';
import { CLI, rawConfig, runCli } from './rig.js';

// One at a time: each measures how fast a real process starts, which three at once would distort.
const withTools = testWith(['mosquitto']);
const test = (withTools.serial ?? withTools) as typeof withTools;

async function setup(t: ExecutionContext, gwId: string) {
  const broker = await startMosquitto(t);
  const sim = new Simulator({ profile: 'sdm630', meters: 2, seed: gwId });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const dir = tempDir(t);
  const db = join(dir, 'gw.db');
  const raw = rawConfig(gwId, db, broker.url, {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
    meters: [1, 2].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 100 })),
  });
  return { broker, dir, db, raw };
}

/** ms until a reading newer than `before` is committed to the outbox. */
async function pollsAgain(gdb: () => Promise<GatewayDb>, since: number, before = 0, timeoutMs = 10_000): Promise<number> {
  const g = await gdb();
  await waitFor('a new reading in the outbox', async () => seqTotal(await g.lastSeqs()) > before, timeoutMs);
  return performance.now() - since;
}

function lazyDb(t: ExecutionContext, path: string): () => Promise<GatewayDb> {
  let g: Promise<GatewayDb> | undefined;
  return () => (g ??= openGatewayDb(t, path));
}

function sleeper(t: ExecutionContext): ChildProcess {
  const p = spawn('sleep', ['120'], { stdio: 'ignore' });
  t.teardown(() => void p.kill('SIGKILL'));
  return p;
}

/**
 * A live process that has `pid`, as after a reboot in which another service got the killed
 * gateway's pid: the kernel hands out ns_last_pid + 1 next (needs root). undefined where it cannot.
 */
function processWithPid(t: ExecutionContext, pid: number): ChildProcess | undefined {
  for (let i = 0; i < 50; i++) {
    try {
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    } catch {
      return undefined;
    }
    const p = sleeper(t);
    if (p.pid === pid) return p;
    p.kill('SIGKILL');
  }
  return undefined;
}

test('a stale <db>.owner of the old scheme naming a live unrelated process: the gateway starts, polls, and removes it', async (t) => {
  t.timeout(60_000);
  const { dir, db, raw } = await setup(t, 'e2e-lock-stale');
  const other = sleeper(t);
  writeFileSync(`${db}.owner`, `${other.pid}\n`);
  const since = performance.now();
  const gw = runCli(t, dir, raw);
  const ms = await pollsAgain(lazyDb(t, db), since).catch((e: Error) => t.fail(`${e.message}\n${gw.stderr()}`));
  t.log(`first reading ${Math.round(Number(ms))} ms after spawn`);
  t.false(existsSync(`${db}.owner`), 'the old pid file is gone');
  t.is(gw.proc.exitCode, null, 'still running');
  gw.proc.kill('SIGTERM');
  t.is(await gw.exited, 0, gw.stderr());
  t.false(existsSync(lockFileOf(db)), 'a clean stop removes <db>.lock');
});

test('pid reused after a reboot: the killed gateway\'s pid now belongs to another live process; the restart starts and polls, status names the new gateway', async (t) => {
  t.timeout(60_000);
  const { dir, db, raw } = await setup(t, 'e2e-lock-reuse');
  const gdb = lazyDb(t, db);
  const first = runCli(t, dir, raw);
  await pollsAgain(gdb, performance.now());
  const killedPid = first.proc.pid!;
  first.proc.kill('SIGKILL');
  await first.exited;
  t.true(existsSync(lockFileOf(db)), 'the SIGKILL left the lock file behind');
  const impostor = processWithPid(t, killedPid) ?? sleeper(t);
  if (impostor.pid === killedPid) t.log(`pid ${killedPid} reused by an unrelated process (sleep)`);
  else t.log(`could not hand out pid ${killedPid} again (ns_last_pid not writable); an unrelated live process ${impostor.pid} stands in`);
  const before = seqTotal(await (await gdb()).lastSeqs());
  const since = performance.now();
  const second = runCli(t, dir, raw);
  const ms = await pollsAgain(gdb, since, before).catch((e: Error) => t.fail(`${e.message}\n${second.stderr()}`));
  t.log(`polled again ${Math.round(Number(ms))} ms after spawn`); // the 3 s bound is the kill loop's, measured alone
  const st = spawnSync(process.execPath, [CLI, 'status', '-c', join(dir, 'gateway.yaml'), '--json'], { encoding: 'utf8', timeout: 30_000 });
  const report = JSON.parse(st.stdout) as { service: { running: boolean; pid: number | null } };
  t.deepEqual(report.service, { ...report.service, running: true, pid: second.proc.pid! }, st.stderr);
  second.proc.kill('SIGTERM');
  t.is(await second.exited, 0, second.stderr());
  const after = JSON.parse(spawnSync(process.execPath, [CLI, 'status', '-c', join(dir, 'gateway.yaml'), '--json'], { encoding: 'utf8', timeout: 30_000 }).stdout) as { service: { running: boolean } };
  t.false(after.service.running, 'stopped: not running, though the old pid is alive');
});

test('a second real gateway on the same database exits non-zero with E_STORE_OPEN within 2 s; the first keeps polling and forwarding', async (t) => {
  t.timeout(60_000);
  const { broker, dir, db, raw } = await setup(t, 'e2e-lock-second');
  const sub = await subscribe(t, broker.url);
  const gdb = lazyDb(t, db);
  const first = runCli(t, dir, raw);
  await pollsAgain(gdb, performance.now());
  await waitFor('readings at the broker', () => sub.readings('e2e-lock-second').length > 0);
  const since = performance.now();
  const second = runCli(t, dir, raw, 'second.yaml');
  const code = await second.exited;
  const ms = performance.now() - since;
  t.log(`second gateway refused ${Math.round(ms)} ms after spawn`);
  t.true(ms < 2000, `refused within 2 s (${Math.round(ms)} ms)`);
  t.not(code, 0);
  t.regex(second.stderr(), /E_STORE_OPEN/);
  t.true(second.stderr().includes(db), second.stderr());
  if (process.platform === 'linux') t.true(second.stderr().includes(`in use by process ${first.proc.pid}`), second.stderr());
  t.is(first.proc.exitCode, null, 'the first is still running');
  const seen = sub.readings('e2e-lock-second').length;
  const before = seqTotal(await (await gdb()).lastSeqs());
  await pollsAgain(gdb, performance.now(), before);
  await waitFor('the first still forwards', () => sub.readings('e2e-lock-second').length > seen);
  first.proc.kill('SIGTERM');
  t.is(await first.exited, 0, first.stderr());
});
