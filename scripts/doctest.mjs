#!/usr/bin/env node
/**
 * Docs are tests: runs the fenced shell blocks of Markdown files that are marked runnable by an HTML
 * comment right before the fence, and ends with one line `doctest: N passed, N failed, N skipped`
 * (exit 1 on a failure).
 *
 *   node scripts/doctest.mjs [FILE.md ...]     (default: every *.md of the repo outside node_modules/dist)
 *
 *   <!-- doctest: timeout=20s expect-output="ok (1 buses" -->
 *   ```sh
 *   npx --no-install prepaid-gateway config check gateway/examples/sim-tcp.yaml
 *   ```
 *
 * Options (key=value, value quoted when it has spaces; docs/doctest.md has the details):
 *   timeout=30s          kill the block's process group and fail after this (ms, s or m; default 30s)
 *   expect-exit=N        the exit status the block must end with (default 0)
 *   expect-output=TEXT   substring of stdout+stderr, or /regex/flags; may repeat
 *   background=NAME      start the block and keep it running for later blocks of the same file
 *   wait=KIND:ARG        with background: ready when line:REGEX (its output matches), port:N
 *                        (127.0.0.1:N accepts), file:PATH (exists) or delay:MS
 *   stop=NAME            after the block (or alone, as a comment without a fence): SIGTERM the
 *                        background NAME's process group, SIGKILL after 5 s
 *   needs=PKG,...        Debian packages whose commands the block runs: missing -> skipped, naming
 *                        them (a failure when CI=true)
 *   ports=NAME,...       free 127.0.0.1 ports, one per NAME for the whole file: a number (5020) is
 *                        replaced where it stands in the block, a word is set as $NAME
 *   tmp                  run in a temporary directory (one per file) with the repo's
 *                        node_modules/.bin on PATH and node_modules linked (npx finds the bins)
 *   files=PATH,...       with tmp: copy these repo files into it first (same relative path, ports
 *                        replaced), so a command can name gateway/examples/x.yaml as the docs do
 *   env=KEY=VALUE        an environment variable for the block; may repeat
 *
 * Every background process group is killed at the end of its file, on a failure, and on exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CI = process.env.CI === 'true';
const KNOWN = new Set(['timeout', 'expect-exit', 'expect-output', 'background', 'wait', 'stop', 'needs', 'ports', 'tmp', 'files', 'env']);
const REPEATABLE = new Set(['expect-output', 'env']);
const STOP_GRACE_MS = 5000;

// ---- parsing -----------------------------------------------------------------------------------

/** `a=1 b="x y" flag` -> { a: '1', b: 'x y', flag: true }; repeatable keys collect arrays. */
export function parseOptions(text) {
  const opts = {};
  const re = /\s*([\w-]+)(?:=(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"']+)))?(?=\s|$)/y;
  const rest = text.trim();
  for (re.lastIndex = 0; re.lastIndex < rest.length; ) {
    const at = re.lastIndex;
    const m = re.exec(rest);
    if (!m) throw new Error(`cannot read the doctest options from "${rest.slice(at).trim()}" (key=value, quote values with spaces)`);
    const key = m[1];
    if (!KNOWN.has(key)) throw new Error(`unknown doctest option "${key}"`);
    const value = m[2] !== undefined ? m[2].replace(/\\"/g, '"') : (m[3] ?? m[4] ?? true);
    if (REPEATABLE.has(key)) (opts[key] ??= []).push(value);
    else opts[key] = value;
  }
  return opts;
}

/** The marked blocks of one Markdown text: { line, opts, code } (code null for a lone directive). */
export function parseMarkdown(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(```+|~~~+)/.exec(lines[i]);
    if (open) {
      // an unmarked fence: skip it whole (a marker shown inside one, as an example, is not a test)
      while (++i < lines.length && !lines[i].trimStart().startsWith(open[1]));
      continue;
    }
    const m = /^\s*<!--\s*doctest:(.*?)-->\s*$/.exec(lines[i]);
    if (!m) continue;
    const line = i + 1;
    let opts;
    try {
      opts = parseOptions(m[1]);
    } catch (e) {
      blocks.push({ line, error: e.message });
      continue;
    }
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    const fence = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(lines[j] ?? '');
    if (!fence) {
      blocks.push({ line, opts, code: null });
      continue;
    }
    const [, indent, marker] = fence;
    const body = [];
    let k = j + 1;
    for (; k < lines.length && !lines[k].trimStart().startsWith(marker); k++) body.push(lines[k].startsWith(indent) ? lines[k].slice(indent.length) : lines[k]);
    if (k >= lines.length) {
      blocks.push({ line, error: `the fence opened at line ${j + 1} is never closed` });
      break;
    }
    blocks.push({ line, opts, code: body.join('\n') + '\n' });
    i = k;
  }
  return blocks;
}

export function parseDuration(v) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(v));
  if (!m) throw new Error(`bad duration "${v}" (e.g. 500ms, 20s, 2m)`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] ?? 'ms']);
}

const list = (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

// ---- system tools ------------------------------------------------------------------------------

const TOOL_CHECKS = {
  mosquitto: ['mosquitto', '-h'],
  'mosquitto-clients': ['mosquitto_pub', '--help'],
  socat: ['socat', '-V'],
  mbpoll: ['mbpoll', '-V'],
  'python3-pymodbus': ['python3', '-c', 'import pymodbus'],
  'util-linux': ['unshare', '-n', 'true'], // present, and permitted here (containers may forbid it)
  iproute2: ['ip', '-V'],
  openssl: ['openssl', 'version'],
  curl: ['curl', '--version'],
};

function hasPackage(pkg) {
  const [cmd, ...args] = TOOL_CHECKS[pkg] ?? [pkg, '--version'];
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.error === undefined && (!['python3-pymodbus', 'util-linux'].includes(pkg) || r.status === 0);
}

// ---- processes ---------------------------------------------------------------------------------

const live = new Set(); // every process group this runner started and has not seen end

function start(code, cwd, env) {
  const proc = spawn('bash', ['-e', '-o', 'pipefail', '-c', code], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const child = { proc, output: '', exited: null, closed: null };
  const onData = (d) => (child.output = (child.output + d.toString()).slice(-200_000));
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  live.add(child);
  // exit: bash is done; close: also every process that inherited its stdout (a `cmd &` of the block)
  child.exited = new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
  child.closed = new Promise((res) => proc.once('close', res)).then(() => live.delete(child));
  proc.once('error', (e) => (child.output += `\n[doctest] cannot start bash: ${e.message}\n`));
  return child;
}

function killGroup(child, signal) {
  try {
    process.kill(-child.proc.pid, signal);
  } catch {
    // the group is gone already
  }
}

async function stopChild(child) {
  killGroup(child, 'SIGTERM');
  const t = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
  await child.exited;
  clearTimeout(t);
  // bash may be gone while a grandchild in the group still runs
  killGroup(child, 'SIGKILL');
  await Promise.race([child.closed, sleep(2000)]);
}

process.on('exit', () => {
  for (const c of live) killGroup(c, 'SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const canConnect = (port) =>
  new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port: Number(port) });
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function matcher(spec) {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(spec);
  if (m) {
    const re = new RegExp(m[1], m[2]);
    return { test: (s) => re.test(s), show: spec };
  }
  return { test: (s) => s.includes(spec), show: JSON.stringify(spec) };
}

/** Resolves when the wait condition holds; rejects on timeout or when the process ends first. */
async function waitFor(child, spec, cwd, timeoutMs) {
  const i = spec.indexOf(':');
  const kind = i < 0 ? spec : spec.slice(0, i);
  const arg = i < 0 ? '' : spec.slice(i + 1);
  const deadline = Date.now() + timeoutMs;
  let check;
  if (kind === 'line') {
    const re = new RegExp(arg, 'm');
    check = async () => re.test(child.output);
  } else if (kind === 'port') check = () => canConnect(arg);
  else if (kind === 'file') check = async () => existsSync(resolve(cwd, arg));
  else if (kind === 'delay') {
    const until = Date.now() + parseDuration(arg);
    check = async () => Date.now() >= until;
  } else throw new Error(`unknown wait "${kind}" (line:, port:, file:, delay:)`);
  let ended = false;
  void child.exited.then(() => (ended = true));
  for (;;) {
    if (await check()) return;
    if (ended) throw new Error(`ended before wait=${spec} held`);
    if (Date.now() > deadline) throw new Error(`wait=${spec} did not hold within ${timeoutMs} ms`);
    await sleep(100);
  }
}

// ---- one file ----------------------------------------------------------------------------------

const counts = { passed: 0, failed: 0, skipped: 0 };

function tail(text, n = 40, mark = '|') {
  const lines = text.trimEnd().split('\n');
  return (lines.length > n ? ['...', ...lines.slice(-n)] : lines).map((l) => `    ${mark} ${l}`).join('\n');
}

async function runFile(file) {
  const rel = relative(ROOT, file).startsWith('..') ? file : relative(ROOT, file);
  const blocks = parseMarkdown(readFileSync(file, 'utf8'));
  if (blocks.length === 0) return;
  const ports = new Map();
  const backgrounds = new Map();
  let tmp = null;
  let failedAt = null;

  const subst = (s) => {
    let out = s;
    for (const [name, port] of ports) {
      out = /^\d+$/.test(name) ? out.replace(new RegExp(`(?<![\\w.])${name}(?!\\d)`, 'g'), String(port)) : out.replace(new RegExp(`\\$\\{?${name}\\b\\}?`, 'g'), String(port));
    }
    return out;
  };

  for (const b of blocks) {
    const where = `${rel}:${b.line}`;
    if (b.error) {
      counts.failed++;
      console.log(`✘ ${where}: ${b.error}`);
      failedAt ??= b.line;
      continue;
    }
    const { opts } = b;
    if (failedAt !== null) {
      if (b.code !== null) {
        counts.skipped++;
        console.log(`- ${where}: not run, the block at line ${failedAt} failed`);
      }
      continue;
    }
    try {
      const missing = list(opts.needs).filter((p) => !hasPackage(p));
      if (missing.length > 0 && b.code !== null) {
        if (CI) throw new Error(`needs ${missing.join(' ')} (apt-get install ${missing.join(' ')}); nothing skips when CI=true`);
        counts.skipped++;
        console.log(`- ${where}: skipped [apt-get install ${missing.join(' ')}]`);
        continue;
      }
      for (const name of list(opts.ports)) if (!ports.has(name)) ports.set(name, await freePort());
      if (opts.tmp && !tmp) {
        tmp = mkdtempSync(join(tmpdir(), 'doctest-'));
        // npx looks for bins in the nearest node_modules, not on PATH
        symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'));
      }
      const cwd = opts.tmp ? tmp : ROOT;
      for (const f of list(opts.files)) {
        if (!opts.tmp) throw new Error('files= needs tmp');
        const dest = join(tmp, f);
        mkdirSync(dirname(dest), { recursive: true });
        if (ports.size > 0) writeFileSync(dest, subst(readFileSync(join(ROOT, f), 'utf8')));
        else copyFileSync(join(ROOT, f), dest);
      }
      const env = { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };
      for (const [name, port] of ports) if (!/^\d+$/.test(name)) env[name] = String(port);
      for (const kv of opts.env ?? []) {
        const i = String(kv).indexOf('=');
        if (i < 1) throw new Error(`env=${kv}: expected KEY=VALUE`);
        env[kv.slice(0, i)] = subst(kv.slice(i + 1));
      }
      const timeoutMs = parseDuration(opts.timeout ?? '30s');

      if (b.code !== null) {
        const code = subst(b.code);
        const child = start(code, cwd, env);
        if (typeof opts.background === 'string') {
          if (backgrounds.has(opts.background)) throw new Error(`background ${opts.background} is already running`);
          backgrounds.set(opts.background, child);
          try {
            await waitFor(child, expandEnv(subst(typeof opts.wait === 'string' ? opts.wait : 'delay:500'), env), cwd, timeoutMs);
          } catch (e) {
            throw Object.assign(new Error(`background ${opts.background}: ${e.message}`), { output: child.output });
          }
          console.log(`✔ ${where}: ${opts.background} running (${firstLine(code)})`);
        } else {
          let timedOut = false;
          const t = setTimeout(() => {
            timedOut = true;
            killGroup(child, 'SIGKILL');
          }, timeoutMs);
          const { code: exit, signal } = await child.exited;
          clearTimeout(t);
          killGroup(child, 'SIGKILL'); // anything the block left behind in its group
          await Promise.race([child.closed, sleep(2000)]);
          if (timedOut) throw Object.assign(new Error(`timed out after ${timeoutMs} ms`), { output: child.output });
          const want = Number(opts['expect-exit'] ?? 0);
          if (exit !== want) throw Object.assign(new Error(`exit ${exit ?? signal}, expected ${want}`), { output: child.output });
          for (const spec of opts['expect-output'] ?? []) {
            const m = matcher(subst(String(spec)));
            if (!m.test(child.output)) throw Object.assign(new Error(`output lacks ${m.show}`), { output: child.output });
          }
          console.log(`✔ ${where}: ${firstLine(code)}`);
        }
        counts.passed++;
      }
      if (typeof opts.stop === 'string') {
        const child = backgrounds.get(opts.stop);
        if (!child) throw new Error(`stop=${opts.stop}: no such background in this file`);
        backgrounds.delete(opts.stop);
        await stopChild(child);
      }
    } catch (e) {
      counts.failed++;
      failedAt = b.line;
      console.log(`✘ ${where}: ${e.message}${b.code ? `\n${tail(b.code, 10, '$')}` : ''}${e.output ? `\n${tail(e.output)}` : ''}`);
      await Promise.all([...backgrounds.values()].map(stopChild));
      backgrounds.clear();
    }
  }
  await Promise.all([...backgrounds.values()].map(stopChild));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

/** $NAME / ${NAME} from the block's environment, as the shell would see them (wait= is not shell). */
function expandEnv(s, env) {
  return s.replace(/\$\{?(\w+)\}?/g, (all, name) => env[name] ?? all);
}

function firstLine(code) {
  const l = code.split('\n').find((x) => x.trim() && !x.trim().startsWith('#')) ?? '';
  return l.length > 90 ? `${l.slice(0, 87)}...` : l.trim();
}

function markdownFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'release', '.git', 'data'].includes(e.name) || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...markdownFiles(p));
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out.sort();
}

const args = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('doctest.mjs')) {
  const files = args.length > 0 ? args.map((a) => resolve(a)) : markdownFiles(ROOT);
  for (const f of files) {
    try {
      await runFile(f);
    } catch (e) {
      counts.failed++;
      console.log(`✘ ${f}: ${e.message}`);
    }
  }
  console.log(`doctest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  process.exit(counts.failed > 0 ? 1 : 0);
}
