/**
 * The offline release (npm run package): built here, unpacked into an empty directory and run inside
 * a network namespace with nothing but loopback (`unshare -n`), so anything it tried to download at
 * start would fail. From the release alone: `config check`, then a 10 s `run` against the release's
 * own simulator, after which the database holds its readings (3 meters polled every 500 ms: >= 30).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import YAML from 'yaml';
import { testWith } from '@prepaid-edge/testkit/system-tools';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NAME = `prepaid-edge-${VERSION}-${process.platform}-${process.arch}`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The script run inside the namespace: loopback up, config check, simulator, 10 s of gateway, status. */
const NS_SCRIPT = `
set -u
ip link set lo up
cd "$REL"
if ping -c1 -W1 1.1.1.1 >/dev/null 2>&1; then echo "NETWORK REACHABLE"; exit 9; fi
node_modules/.bin/prepaid-gateway config check "$CFG" || exit 3
node_modules/.bin/prepaid-sim --profile sdm630 --meters 3 --tcp "$SIM_PORT" > "$WORK/sim.log" 2>&1 &
sim=$!
for i in $(seq 300); do grep -q '"msg":"ready"' "$WORK/sim.log" && break; sleep 0.1; done
node_modules/.bin/prepaid-gateway run --config "$CFG" > "$WORK/gateway.log" 2>&1 &
gw=$!
# 10 s from "gateway started" (a loaded machine may take seconds to get there), then a clean stop
for i in $(seq 300); do grep -q '"msg":"gateway started"' "$WORK/gateway.log" && break; sleep 0.1; done
sleep 10
kill -TERM $gw; wait $gw
echo "run exit $?"
kill -TERM $sim; wait $sim
node_modules/.bin/prepaid-gateway status --config "$CFG" --json > "$WORK/status.json" || exit 4
`;

testWith(['util-linux', 'iproute2'])('the release unpacked in an empty directory checks its config and polls the simulator with no network', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'release-test-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  const packed = await run(process.execPath, [join(ROOT, 'scripts/package-release.mjs'), '--no-build', '--out', join(work, 'out')], { cwd: ROOT, timeout: 150_000, maxBuffer: 1 << 24 });
  t.log(packed.stdout.trim());
  const tarball = join(work, 'out', `${NAME}.tar.gz`);
  t.true(existsSync(tarball));
  t.deepEqual(readdirSync(join(work, 'out')), [`${NAME}.tar.gz`], 'only the tarball is left in --out');

  const empty = join(work, 'unpacked');
  mkdirSync(empty);
  await run('tar', ['-xzf', tarball, '-C', empty]);
  t.deepEqual(readdirSync(empty), [NAME]);
  const rel = join(empty, NAME);
  for (const f of ['README.md', 'gateway/deploy/prepaid-gateway.service', 'gateway/schema/gateway-config.schema.json', 'gateway/examples/sim-tcp.yaml', 'gateway/dist/src/app/cli.js', 'protocols/profiles/sdm630.json', 'node_modules/sqlite3/package.json']) {
    t.true(existsSync(join(rel, f)), `${f} is in the release`);
  }
  // The unit runs what it names under /opt/prepaid-edge (the release's root once installed): each path must be in the release.
  const unitText = readFileSync(join(rel, 'gateway/deploy/prepaid-gateway.service'), 'utf8');
  const execPaths = [...unitText.matchAll(/^Exec\w+=.*$/gm)].flatMap((m) => [...m[0].matchAll(/\/opt\/prepaid-edge\/(\S+)/g)].map((p) => p[1]!));
  t.true(execPaths.includes('gateway/dist/src/app/cli.js'), `the unit starts gateway/dist/src/app/cli.js: ${execPaths.join(', ')}`);
  for (const f of execPaths) t.true(existsSync(join(rel, f)), `${f}, named by the unit's Exec lines, is in the release`);
  for (const f of ['gateway/dist/test', 'gateway/src/app/cli.ts', 'node_modules/typescript', 'node_modules/ava', 'hw-tests']) t.false(existsSync(join(rel, f)), `${f} is not in the release`);

  const [simPort, mqttPort] = [await freePort(), await freePort()];
  const cfg = join(work, 'gateway.yaml');
  writeFileSync(
    cfg,
    YAML.stringify({
      gateway: { id: 'gw-release', timezone: 'UTC' },
      storage: { path: join(work, 'gw.db') },
      mqtt: { url: `mqtt://127.0.0.1:${mqttPort}`, topicPrefix: 'prepaid-edge' },
      log: { level: 'info' },
      buses: [{ id: 'bus1', type: 'tcp', host: '127.0.0.1', port: simPort, timeoutMs: 500 }],
      meters: [1, 2, 3].map((unit) => ({ id: `m${unit}`, bus: 'bus1', unit, profile: 'sdm630', pollMs: 500 })),
    }),
  );

  const started = Date.now();
  const child = spawn('unshare', ['-n', 'bash', '-c', NS_SCRIPT], {
    env: { ...process.env, REL: rel, CFG: cfg, WORK: work, SIM_PORT: String(simPort), PATH: `${process.env.PATH ?? ''}` },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // ended
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const log = (f: string) => (existsSync(join(work, f)) ? readFileSync(join(work, f), 'utf8') : `(no ${f})`);
  t.is(code, 0, `${out}\n--- gateway.log\n${log('gateway.log').slice(-3000)}`);
  t.regex(out, /gateway\.yaml: ok \(1 buses, 3 meters\)/);
  t.regex(out, /run exit 0/, log('gateway.log').slice(-3000)); // SIGTERM after 10 s: a clean stop
  t.true(Date.now() - started >= 10_000);

  const status = JSON.parse(log('status.json')) as { database: { readings: number } };
  t.log(`readings after the 10 s run: ${status.database.readings}`);
  t.true(status.database.readings >= 3 * 10, `only ${status.database.readings} readings`);
  t.regex(log('gateway.log'), /"msg":"gateway started"/);
  t.regex(log('gateway.log'), /ECONNREFUSED|cannot connect to the broker/); // the uplink tried loopback, nothing else
  t.log(`release ${(statSync(tarball).size / 1e6).toFixed(1)} MB`);
});
