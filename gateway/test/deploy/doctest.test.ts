/**
 * scripts/doctest.mjs, the runner that makes the docs' marked shell blocks tests: run as a child
 * process on Markdown files written here. It fails a failing block, times out a hanging one, stops
 * the background processes it started (also their children, also on a failure) and counts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const RUNNER = join(ROOT, 'scripts/doctest.mjs');
const FENCE = '```';

interface Result {
  code: number;
  out: string;
  ms: number;
}

function workDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'doctest-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One block: its marker comment (options) and its shell text. */
const block = (opts: string, code: string): string => `<!-- doctest: ${opts} -->\n${FENCE}sh\n${code}\n${FENCE}\n`;

async function runDoc(dir: string, md: string, env: Record<string, string> = {}): Promise<Result> {
  const file = join(dir, 'doc.md');
  writeFileSync(file, `# doc\n\n${md}`);
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [RUNNER, file], { cwd: dir, timeout: 60_000, env: { ...process.env, CI: '', D: dir, ...env } }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number) : 0;
      resolve({ code, out: stdout + stderr, ms: Date.now() - started });
    });
  });
}

const summary = (out: string): string => /^doctest: .*$/m.exec(out)?.[0] ?? `(no summary line in: ${out})`;

/** Running, that is: a zombie waiting for a slow init to reap it counts as ended. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('passing and failing blocks are counted; a failure names file:line, exits 1, and unmarked blocks never run', async (t) => {
  const dir = workDir(t);
  const md = [
    block('expect-output="hello"', 'echo hello'),
    `${FENCE}sh\ntouch $D/unmarked-ran\n${FENCE}\n`,
    block('', 'echo about to fail; false; echo never'),
  ].join('\n');
  const r = await runDoc(dir, md);
  t.is(r.code, 1);
  t.is(summary(r.out), 'doctest: 1 passed, 1 failed, 0 skipped');
  t.regex(r.out, /✘ .*doc\.md:\d+: exit 1, expected 0/);
  t.regex(r.out, /about to fail/);
  t.notRegex(r.out, /^\s+\| never/m);
  t.throws(() => readFileSync(join(dir, 'unmarked-ran')));
});

test('expect-exit, expect-output as substring and as regex; a missing output fails', async (t) => {
  const dir = workDir(t);
  const ok = await runDoc(dir, [block('expect-exit=2 expect-output="bad field" expect-output="/meters\\[\\d\\]/"', 'echo "meters[2].unit: bad field" >&2; exit 2')].join('\n'));
  t.is(summary(ok.out), 'doctest: 1 passed, 0 failed, 0 skipped');
  t.is(ok.code, 0);
  const bad = await runDoc(dir, block('expect-output="ok (3 meters)"', 'echo "ok (2 meters)"'));
  t.is(bad.code, 1);
  t.regex(bad.out, /output lacks "ok \(3 meters\)"/);
});

test('a hanging block is killed at its timeout, with its children, and the file stops there', async (t) => {
  const dir = workDir(t);
  const md = [block('timeout=1s', 'sleep 300 & echo $! > $D/child.pid; sleep 300'), block('', 'echo after')].join('\n');
  const r = await runDoc(dir, md);
  t.is(r.code, 1);
  t.regex(r.out, /timed out after 1000 ms/);
  t.true(r.ms < 30_000, `took ${r.ms} ms`); // killed at 1 s, not after the 300 s sleep (slack for a loaded machine)
  t.is(summary(r.out), 'doctest: 0 passed, 1 failed, 1 skipped');
  t.regex(r.out, /not run, the block at line \d+ failed/);
  t.false(alive(Number(readFileSync(join(dir, 'child.pid'), 'utf8'))));
});

test('a background block keeps running for later blocks, stop= ends it, the rest end with the file', async (t) => {
  const dir = workDir(t);
  const md = [
    block('background=a wait=file:$D/a.pid', 'sleep 300 & echo $! > $D/a.child; echo $$ > $D/a.pid; wait'),
    block('background=b wait=line:^ready$', 'sleep 300 & echo $! > $D/b.child; echo ready; wait'),
    block('stop=a', 'kill -0 "$(cat $D/a.pid)" && kill -0 "$(cat $D/b.pid 2>/dev/null || cat $D/b.child)" && echo both-running'),
    // a zombie (init reaps slowly here) counts as gone
    block('expect-output=a-gone', 'p=$(cat $D/a.child); if [ ! -e /proc/$p ] || grep -q "^State:\\s*Z" /proc/$p/status; then echo a-gone; fi'),
  ].join('\n');
  const r = await runDoc(dir, md);
  t.is(summary(r.out), 'doctest: 4 passed, 0 failed, 0 skipped', r.out);
  t.is(r.code, 0);
  for (const f of ['a.pid', 'a.child', 'b.child']) t.false(alive(Number(readFileSync(join(dir, f), 'utf8'))), `${f} still alive`);
});

test('on a failure every background process group is killed at once', async (t) => {
  const dir = workDir(t);
  const md = [block('background=srv wait=file:$D/srv.pid', 'sleep 300 & echo $! > $D/srv.pid; wait'), block('', 'exit 7')].join('\n');
  const r = await runDoc(dir, md);
  t.is(r.code, 1);
  t.is(summary(r.out), 'doctest: 1 passed, 1 failed, 0 skipped');
  t.false(alive(Number(readFileSync(join(dir, 'srv.pid'), 'utf8'))));
});

test('a background that ends before its wait holds fails with its output', async (t) => {
  const dir = workDir(t);
  const r = await runDoc(dir, block('background=x wait=port:1 timeout=5s', 'echo cannot bind >&2; exit 3'));
  t.is(r.code, 1);
  t.regex(r.out, /background x: ended before wait=port:1 held/);
  t.regex(r.out, /cannot bind/);
});

test('ports: a number in the block and a $NAME get the same free port for the whole file', async (t) => {
  const dir = workDir(t);
  const server = `node -e "require('net').createServer().listen($WEB, '127.0.0.1'); console.log('on', $WEB)"`;
  const md = [
    block('ports=5020,WEB background=web wait=port:$WEB', server),
    block('', 'echo "5020 $WEB" > $D/ports.txt'),
  ].join('\n');
  const r = await runDoc(dir, md);
  t.is(summary(r.out), 'doctest: 2 passed, 0 failed, 0 skipped', r.out);
  const [num, web] = readFileSync(join(dir, 'ports.txt'), 'utf8').trim().split(' ').map(Number);
  t.not(num, 5020);
  t.true(num! > 0 && web! > 0 && num !== web);
});

test('needs: a missing package skips outside CI, naming it, and fails when CI=true', async (t) => {
  const dir = workDir(t);
  const md = block('needs=no-such-debian-package', 'no-such-command');
  const local = await runDoc(dir, md);
  t.is(local.code, 0);
  t.is(summary(local.out), 'doctest: 0 passed, 0 failed, 1 skipped');
  t.regex(local.out, /skipped \[apt-get install no-such-debian-package\]/);
  const ci = await runDoc(dir, md, { CI: 'true' });
  t.is(ci.code, 1);
  t.is(summary(ci.out), 'doctest: 0 passed, 1 failed, 0 skipped');
});

test('tmp runs in a fresh directory with node_modules/.bin on PATH; files= copies repo files in, ports replaced', async (t) => {
  const dir = workDir(t);
  const md = block(
    'tmp ports=5020 files=gateway/examples/sim-tcp.yaml expect-output="prepaid-gateway"',
    'test ! -e package.json; grep -q "port: 5020," gateway/examples/sim-tcp.yaml; ! grep -q "port: 50""20," gateway/examples/sim-tcp.yaml; command -v prepaid-gateway',
  );
  const r = await runDoc(dir, md);
  t.is(summary(r.out), 'doctest: 1 passed, 0 failed, 0 skipped', r.out);
});

test('a typo in the options fails the block instead of running it differently', async (t) => {
  const dir = workDir(t);
  const r = await runDoc(dir, block('timout=5s', 'touch $D/ran'));
  t.is(r.code, 1);
  t.regex(r.out, /unknown doctest option "timout"/);
  t.throws(() => readFileSync(join(dir, 'ran')));
});
