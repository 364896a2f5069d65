#!/usr/bin/env node
/**
 * Benchmark runner: `npm run bench` runs every benchmark, `npm run bench -- <id> [<id>...]` only
 * those; the results are written to docs/benchmarks.md.
 *
 * Adding a benchmark: compile a module to `<workspace>/dist/bench/<id>.bench.js` (e.g. put
 * `gateway/bench/<id>.bench.ts` under a tsconfig that emits to dist/) exporting
 *
 *     export async function run(): Promise<{ id, title, command, markdown, skipped? }>
 *
 *   id       the file name without `.bench.js`
 *   title    the section heading
 *   command  the load/measurement command behind the numbers (shown under the heading; may be '')
 *   markdown the section body: what was measured, the numbers, the verdict against the target
 *   skipped  set (to the reason) when a needed tool is missing: the reason is printed and an
 *            earlier section for this id is kept; in CI (CI=true) a skip fails the run
 *   failed   set (to the reason) when the benchmark's result is wrong (e.g. WRONG RESULT: a scan
 *            that found other meters than were there): the section is written, the run fails
 *
 * Each module runs in its own child process (this file with `--child <file>`), one after another,
 * so one benchmark's heap, sockets and timers never disturb the next. A benchmark must stop every
 * process it starts, bind 127.0.0.1 only, and choose ports at run time.
 *
 * Tools the runner prepares for the modules, passed in the environment:
 *   BENCH_TMP            scratch directory (.bench-tmp/, git-ignored)
 *   BENCH_MBLOAD         path of mbload, the C Modbus TCP load generator built from
 *                        simulator/bench/mbload.c with libmodbus; when it cannot be built,
 *   BENCH_MBLOAD_MISSING says why instead.
 * With CI=true or `--install-deps`, the runner first runs
 * `apt-get install -y libmodbus-dev pkg-config gcc python3-pymodbus` (through sudo when not root).
 *
 * docs/benchmarks.md: a header describing the machine, then one section per benchmark between
 * `<!-- bench:<id>:start -->` and `<!-- bench:<id>:end -->`; running some ids replaces only
 * their sections.
 */
import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs', 'benchmarks.md');
const TMP = path.join(ROOT, '.bench-tmp');
const MBLOAD_SRC = path.join(ROOT, 'simulator', 'bench', 'mbload.c');
const APT_PACKAGES = ['libmodbus-dev', 'pkg-config', 'gcc', 'python3-pymodbus'];
const BENCH_TIMEOUT_MS = 15 * 60_000;
const CI = process.env.CI === 'true';

/** Child mode: import one bench module, run it, hand the result to the parent. */
async function runChild(file) {
  try {
    const mod = await import(pathToFileURL(file).href);
    if (typeof mod.run !== 'function') throw new Error(`${file} exports no run()`);
    const result = await mod.run();
    process.send({ ok: true, result }, () => process.exit(0));
  } catch (e) {
    process.send({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }, () => process.exit(1));
  }
}

async function main(argv) {
  const installDeps = CI || argv.includes('--install-deps');
  const ids = argv.filter((a) => !a.startsWith('--'));
  const all = findBenches();
  const unknown = ids.filter((id) => !all.some((b) => b.id === id));
  if (unknown.length) {
    console.error(`unknown benchmark id(s): ${unknown.join(', ')}; available: ${all.map((b) => b.id).join(', ') || 'none (build first: npx tsc -b)'}`);
    return 2;
  }
  const selected = ids.length ? all.filter((b) => ids.includes(b.id)) : all;
  if (selected.length === 0) {
    console.error('no benchmarks found at */dist/bench/*.bench.js (build first: npx tsc -b)');
    return 2;
  }

  mkdirSync(TMP, { recursive: true });
  if (installDeps) installPackages();
  const env = { ...process.env, BENCH_TMP: TMP, ...buildMbload() };

  const sections = readSections();
  let failed = 0;
  for (const bench of selected) {
    console.error(`\n== ${bench.id} (${path.relative(ROOT, bench.file)})`);
    const started = Date.now();
    const out = await runInChild(bench.file, env);
    const secs = ((Date.now() - started) / 1000).toFixed(0);
    if (!out.ok) {
      failed++;
      console.error(`!! ${bench.id} failed after ${secs} s:\n${out.error}`);
      continue;
    }
    const r = out.result;
    if (r.id !== bench.id) {
      failed++;
      console.error(`!! ${bench.file} returned id "${r.id}", expected "${bench.id}"`);
      continue;
    }
    if (r.skipped) {
      console.error(`-- ${bench.id} SKIPPED: ${r.skipped}${sections.has(bench.id) ? ' (earlier section kept)' : ''}`);
      if (CI) failed++;
      if (!sections.has(bench.id)) sections.set(bench.id, section(r, `_Not measured: ${r.skipped}_`));
      continue;
    }
    sections.set(bench.id, section(r, r.markdown));
    if (r.failed) {
      failed++;
      console.error(`!! ${bench.id} failed after ${secs} s: ${r.failed}`);
      continue;
    }
    console.error(`ok ${bench.id} in ${secs} s`);
  }

  writeDoc(sections, all.map((b) => b.id));
  console.error(`\nwrote ${path.relative(ROOT, DOC)}`);
  return failed ? 1 : 0;
}

/** Every `<workspace>/dist/bench/<id>.bench.js`, ordered by workspace then id. */
function findBenches() {
  const found = [];
  for (const ws of readdirSync(ROOT).sort()) {
    const dir = path.join(ROOT, ws, 'dist', 'bench');
    if (ws.startsWith('.') || ws === 'node_modules' || !existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort())
      if (f.endsWith('.bench.js')) found.push({ id: f.slice(0, -'.bench.js'.length), file: path.join(dir, f) });
  }
  return found;
}

function runInChild(file, env) {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', file], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply;
    const timer = setTimeout(() => {
      reply ??= { ok: false, error: `timed out after ${BENCH_TIMEOUT_MS / 1000} s` };
      child.kill('SIGKILL');
    }, BENCH_TIMEOUT_MS);
    child.on('message', (m) => (reply ??= m));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(reply ?? { ok: false, error: `bench process exited (${code ?? signal}) without a result` });
    });
  });
}

function installPackages() {
  const asRoot = process.getuid?.() === 0;
  const sudo = asRoot ? [] : ['sudo'];
  const exec = (args) => {
    console.error(`$ ${args.join(' ')}`);
    const r = spawnSync(args[0], args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.error?.message})`);
  };
  exec([...sudo, 'apt-get', 'update']);
  exec([...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', ...APT_PACKAGES]);
}

/** Build mbload into .bench-tmp/ (again only when its source is newer). */
function buildMbload() {
  const bin = path.join(TMP, 'mbload');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(MBLOAD_SRC).mtimeMs) return { BENCH_MBLOAD: bin };
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libmodbus'], { encoding: 'utf8' });
  if (flags.error || flags.status !== 0) {
    const why = flags.error ? 'pkg-config is not installed' : 'libmodbus-dev is not installed';
    return { BENCH_MBLOAD_MISSING: `${why} (apt-get install libmodbus-dev pkg-config, or run with --install-deps)` };
  }
  const args = ['-O2', '-o', bin, MBLOAD_SRC, ...flags.stdout.trim().split(/\s+/).filter(Boolean), '-lpthread'];
  const cc = spawnSync('gcc', args, { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) return { BENCH_MBLOAD_MISSING: `gcc ${args.join(' ')} failed: ${cc.error?.message ?? cc.stderr}` };
  return { BENCH_MBLOAD: bin };
}

const START = (id) => `<!-- bench:${id}:start -->`;
const END = (id) => `<!-- bench:${id}:end -->`;

/** Sections already in docs/benchmarks.md, by id. */
function readSections() {
  const sections = new Map();
  if (!existsSync(DOC)) return sections;
  const text = readFileSync(DOC, 'utf8');
  const re = /<!-- bench:([\w.-]+):start -->\n([\s\S]*?)<!-- bench:\1:end -->/g;
  for (const m of text.matchAll(re)) sections.set(m[1], m[2]);
  return sections;
}

function section(r, body) {
  const cmd = r.command ? `Load: \`${r.command}\`. ` : '';
  return [
    `## ${r.title}`,
    '',
    `${cmd}Run: \`npm run bench -- ${r.id}\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}.`,
    '',
    body.trim(),
    '',
  ].join('\n');
}

/** Sections in bench discovery order, then any left from benches no longer present. */
function writeDoc(sections, order) {
  const ids = [...order.filter((id) => sections.has(id)), ...[...sections.keys()].filter((id) => !order.includes(id))];
  const body = ids.map((id) => `${START(id)}\n${sections.get(id)}${END(id)}`).join('\n\n');
  mkdirSync(path.dirname(DOC), { recursive: true });
  writeFileSync(DOC, `${header()}\n${body}\n`);
}

function header() {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(safeRead('/proc/cpuinfo'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const osName = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(safeRead('/etc/os-release'))?.[1] ?? os.type();
  return [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (all) or `npm run bench -- <id>` (one; other sections are kept) from',
    '[scripts/bench.js](../scripts/bench.js). Each section names when and how it was measured; the',
    'machine below is the one of the latest run.',
    '',
    '| machine | |',
    '|---|---|',
    `| CPU | ${cpu} |`,
    `| cores | ${os.cpus().length} |`,
    `| RAM | ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB |`,
    `| OS | ${osName} (Linux ${os.release()}) |`,
    `| Node | ${process.version} |`,
    `| date | ${new Date().toISOString().slice(0, 10)} |`,
    '',
  ].join('\n');
}

function safeRead(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

if (process.argv[2] === '--child') await runChild(process.argv[3]);
else process.exitCode = await main(process.argv.slice(2));
