#!/usr/bin/env node
/**
 * Follows ONE signed top-up through the gateway's code and counts the rooms it walks through
 * (issue 12, item 2: "each room entered once or twice").
 *
 * In this process: a credit runtime on a temp SQLite file (parseConfig + CreditRuntime.start, as
 * the credit scenario tests build it, with no buses), one signed top-up handed to
 * CreditRuntime.handleCommand (or CommandProcessor.handle), and node:inspector on this same thread
 * recording every pause in a project file until the outcome resolves.
 *
 * How it pauses (see --mode): `step` is a `debugger;` before the call, then Debugger.stepInto on
 * every pause (node_modules and node:internal blackboxed); it stops following inside the signature
 * check (crypto.verify runs in node:internal), before the first sqlite3 callback. The default
 * `statements` mode runs two warm-up top-ups on their own runtimes under block coverage
 * (Profiler precise coverage), sets a breakpoint on every break location of project code they ran,
 * and resumes on every pause of the traced top-up: it sees each statement in execution order,
 * continuations after `await` included. Coverage of the traced top-up reports how many statements
 * ran without a breakpoint (`unseen`, 0 when the path is complete).
 *
 * Only the entry is named (CreditRuntime.handleCommand / CommandProcessor.handle, found by scanning
 * gateway/dist/src for the exported class): no other class or file name is assumed.
 *
 *   node scripts/trace-top-up.mjs [--mode statements|step] [--json] [--write docs/architecture.md --label before|after]
 * TRACE_DEBUG=1 prints the statements run without a breakpoint to stderr.
 */
import inspector from 'node:inspector';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'gateway', 'dist', 'src');
const SELF = fileURLToPath(import.meta.url);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const MODE = arg('mode', 'statements');
const JSON_OUT = process.argv.includes('--json');

function jsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsFiles(p));
    else if (name.endsWith('.js')) out.push(p);
  }
  return out;
}

/** A built file whose source still exists (tsc -b leaves the output of a moved file behind). */
function hasSource(js) {
  return existsSync(path.join(ROOT, 'gateway', 'src', path.relative(DIST, js)).replace(/\.js$/, '.ts'));
}

/** The built module that exports `name` (a class or function), found by its text. */
async function exported(name, kind) {
  const re = new RegExp(`export (?:async )?${kind} ${name}\\b`);
  for (const f of jsFiles(DIST)) {
    if (!hasSource(f)) continue;
    if (re.test(readFileSync(f, 'utf8'))) return { file: f, value: (await import(pathToFileURL(f).href))[name] };
  }
  return undefined;
}

/** A project file's source name: <pkg>/dist/src/x.js -> <pkg>/src/x.ts; undefined outside the project. */
export function projectFile(url) {
  if (!url.startsWith('file://')) return undefined;
  const p = fileURLToPath(url);
  if (p === SELF || !p.startsWith(ROOT + path.sep) || p.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
  const rel = path.relative(ROOT, p).split(path.sep).join('/');
  return rel.replace(/\/dist\/(src|test|bench)\//, '/$1/').replace(/\.js$/, '.ts');
}

const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
const POLICY = { id: 'strict', lowCreditThresholds: [1500, 600], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 } };

/** A credit runtime on a temp SQLite file and a signer for its one key. */
async function setUp(dir) {
  mkdirSync(dir, { recursive: true });
  const keys = generateKeyPairSync('ed25519');
  const publicKey = createPublicKey(keys.privateKey).export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  const raw = {
    gateway: { id: 'gw-trace', timezone: 'UTC' },
    storage: { path: path.join(dir, 'gw.db'), synchronous: 'normal' },
    mqtt: { url: 'mqtt://127.0.0.1:1', topicPrefix: 'pe-trace' },
    buses: [{ id: 'b1', type: 'tcp', host: '127.0.0.1', port: 1, timeoutMs: 100 }],
    meters: [{ id: 'p1', bus: 'b1', unit: 1, profile: 'prepaid', pollMs: 60_000, retries: 0, commLostAfter: 100 }],
    log: { level: 'silent' },
    credit: {
      tariffs: { flat: FLAT },
      policies: { strict: POLICY },
      classes: { residential: { tariff: 'flat', policy: 'strict' } },
      accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 3000 }],
      keys: [{ keyId: 'utility-1', publicKey }],
      chargeEveryMs: 60_000,
    },
  };
  const { value: parseConfig } = await exported('parseConfig', 'function');
  // JSON is YAML; the source name only anchors relative `file:` references (there are none).
  const config = parseConfig(JSON.stringify(raw), path.join(dir, 'trace.yaml'));
  const { value: signCommand } = await exported('signCommand', 'function');
  const now = Date.UTC(2026, 0, 5, 12);
  const results = [];
  const uplink = { onCommand() {}, publishResult: (p) => results.push(p), publishCredit() {} };
  const log = silentLog();
  const runtime = await exported('CreditRuntime', 'class');
  if (!runtime) throw new Error('no module in gateway/dist/src exports class CreditRuntime: run npx tsc -b');
  const rt = await runtime.value.start({
    config,
    acquisition: { buses: new Map(), pollers: new Map() },
    boards: new Map(),
    uplink,
    event() {},
    log,
    // Time stands still and no wake-up fires; given both as today's `now`/timers and as a Clock.
    // They live in this file, so calls to them are not counted as stops.
    now: () => now,
    setTimer: () => ({ unref() {}, ref() {} }),
    clearTimer() {},
    clock: { now: () => now, monotonic: () => 0, setTimeout: () => ({}), clearTimeout() {} },
  });
  const payload = JSON.stringify(signCommand({ id: 'trace-topup-1', type: 'topup', meter: 'p1', amount: 5000, currency: 'EUR', issuedAt: now, expiresAt: now + 3_600_000 }, keys.privateKey, 'utility-1'));
  // The entry: CreditRuntime.handleCommand(payload), or CommandProcessor.handle(raw) where that is the door.
  const entry = typeof rt.handleCommand === 'function' ? { name: 'CreditRuntime.handleCommand', file: runtime.file, call: () => rt.handleCommand(payload) } : { name: 'CommandProcessor.handle', file: runtime.file, call: () => rt.commands.handle(payload) };
  return { rt, entry, results };
}

function silentLog() {
  const log = { level: 'silent', child: () => log, isLevelEnabled: () => false };
  for (const l of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) log[l] = () => undefined;
  return log;
}

// ---- the tracer -------------------------------------------------------------------------------

const session = new inspector.Session();
session.connect();
/** Same-thread session: requests are dispatched synchronously; this returns the reply. */
function post(method, params = {}) {
  let out;
  let err;
  session.post(method, params, (e, r) => {
    err = e;
    out = r;
  });
  if (err) throw err;
  return out;
}

const scripts = new Map(); // scriptId -> url
session.on('Debugger.scriptParsed', ({ params }) => scripts.set(params.scriptId, params.url));

/** Runs `entry.call()` under the tracer; resolves with the pauses in project files and the outcome. */
async function trace(entry, ran = []) {
  const pauses = [];
  let tracing = false;
  let done = false;
  post('Debugger.enable');
  if (MODE === 'step') post('Debugger.setAsyncCallStackDepth', { maxDepth: 32 });
  post('Debugger.setBlackboxPatterns', { patterns: ['/node_modules/', '^node:', '^internal/'] });
  const onPause = ({ params }) => {
    const top = params.callFrames[0];
    const url = top?.url || scripts.get(top?.location.scriptId) || '';
    const file = projectFile(url);
    if (tracing && !done && file) pauses.push({ file, fn: top.functionName || '(anonymous)', line: top.location.lineNumber + 1 });
    if (MODE === 'step' && !done) {
      if (params.reason === 'other' && !tracing && url === pathToFileURL(SELF).href) tracing = true;
      post('Debugger.stepInto', { breakOnAsyncCall: true });
    } else post('Debugger.resume');
  };
  session.on('Debugger.paused', onPause);
  const ids = [];
  if (MODE === 'statements') {
    for (const { scriptId, lineNumber, columnNumber } of ran) {
      try {
        ids.push(post('Debugger.setBreakpoint', { location: { scriptId, lineNumber, columnNumber } }).breakpointId);
      } catch {
        // a location V8 listed but will not take (it moved onto a neighbour already set)
      }
    }
    tracing = true;
  }
  let outcome;
  try {
    if (MODE === 'step') debugger; // eslint-disable-line no-debugger
    outcome = await entry.call();
  } finally {
    done = true;
    session.off('Debugger.paused', onPause);
    for (const id of ids) post('Debugger.removeBreakpoint', { breakpointId: id });
  }
  return { pauses, outcome, breakpoints: ids.length };
}

/**
 * Block coverage (Profiler precise coverage) picks the break locations that get a breakpoint:
 * V8's cost per pause grows with the number of breakpoints set (about 40 ms a pause with all ~11k
 * of the project), so only the locations a warm-up top-up ran on a second runtime get one.
 * `take` also resets the counters.
 */
function startCoverage() {
  post('Debugger.enable');
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
}

function stopCoverage() {
  post('Profiler.stopPreciseCoverage');
  post('Profiler.disable');
}

/** The break locations in project code that ran since the last take. */
function takeCoverage() {
  const { result } = post('Profiler.takePreciseCoverage');
  const out = [];
  for (const script of result) {
    if (!projectFile(script.url)) continue;
    const ranges = script.functions.flatMap((f) => f.ranges);
    // The innermost range holding an offset says whether it ran.
    const ran = (offset) => {
      let best;
      for (const r of ranges) if (r.startOffset <= offset && offset < r.endOffset && (!best || r.endOffset - r.startOffset <= best.endOffset - best.startOffset)) best = r;
      return best !== undefined && best.count > 0;
    };
    if (!ranges.some((r) => r.count > 0)) continue;
    const { scriptSource } = post('Debugger.getScriptSource', { scriptId: script.scriptId });
    const lineStarts = [0];
    for (let i = 0; i < scriptSource.length; i++) if (scriptSource[i] === '\n') lineStarts.push(i + 1);
    const { locations } = post('Debugger.getPossibleBreakpoints', { start: { scriptId: script.scriptId, lineNumber: 0, columnNumber: 0 } });
    for (const l of locations) if (ran(lineStarts[l.lineNumber] + (l.columnNumber ?? 0))) out.push({ scriptId: l.scriptId, lineNumber: l.lineNumber, columnNumber: l.columnNumber ?? 0 });
  }
  return out;
}

// ---- the numbers ------------------------------------------------------------------------------

const room = (file) => path.posix.dirname(file);

/**
 * The job a file does on the path: the issue's parse -> verify -> decide -> apply -> publish,
 * with the credit shell (adapters/credit) as the hub that hands the work from one job to the next.
 * The ledger's own rules (core/ledger: posting checks, settling balances) are part of applying.
 */
const JOBS = [
  [/core\/commands\/results\.ts$/, 'publish'],
  [/\/core\/commands\//, 'check'],
  [/\/adapters\/commands\//, 'check'],
  [/\/core\/(credit|policy|tariff)\//, 'decide'],
  [/\/(adapters\/store|core\/ledger)\//, 'ledger'],
  [/\/adapters\/uplink\//, 'publish'],
  [/\/adapters\/credit\//, 'shell'],
];
const jobOf = (file) => JOBS.find(([re]) => re.test(file))?.[1] ?? room(file);

/** The path as jobs: consecutive stops of one job are one step; the shell's steps are the hand-overs. */
export function jobSteps(path_) {
  const steps = [];
  for (const s of path_) {
    const job = jobOf(s.file);
    const last = steps.at(-1);
    if (last && last.job === job) {
      for (const f of s.fns) if (!last.fns.includes(f)) last.fns.push(f);
    } else steps.push({ job, fns: [...s.fns] });
  }
  const entered = new Map();
  for (const st of steps) if (st.job !== 'shell') entered.set(st.job, (entered.get(st.job) ?? 0) + 1);
  return { steps, entered: Object.fromEntries(entered) };
}

/** Consecutive pauses in one file are one stop; a stop in a file already left is a return. */
export function measure(pauses) {
  const path_ = [];
  for (const p of pauses) {
    const last = path_.at(-1);
    if (last && last.file === p.file) {
      if (!last.fns.includes(p.fn)) last.fns.push(p.fn);
      last.pauses++;
    } else path_.push({ file: p.file, fns: [p.fn], pauses: 1 });
  }
  const seen = new Set();
  let returns = 0;
  const files = new Map();
  for (const s of path_) {
    if (seen.has(s.file)) returns++;
    seen.add(s.file);
    files.set(s.file, (files.get(s.file) ?? 0) + 1);
  }
  const rooms = new Map();
  let lastRoom;
  let roomStops = 0;
  for (const s of path_) {
    const r = room(s.file);
    if (r !== lastRoom) {
      rooms.set(r, (rooms.get(r) ?? 0) + 1);
      roomStops++;
    }
    lastRoom = r;
  }
  const byCount = (m) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  const jobs = jobSteps(path_);
  return { pauses: pauses.length, stops: path_.length, returns, roomStops, jobs: jobs.entered, jobPath: jobs.steps, files: byCount(files), rooms: byCount(rooms), path: path_ };
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'pe-trace-'));
  let rt;
  let warmRt;
  try {
    // Two warm-ups, each on its own runtime and file: the first fills this process's module-level
    // caches (the zone table), the second runs as the traced one will; their union is armed.
    const ran = [];
    for (const name of ['warm-1', 'warm-2']) {
      const warm = await setUp(path.join(dir, name));
      warmRt = warm.rt;
      if (MODE === 'statements') {
        startCoverage();
        await warm.entry.call();
        ran.push(...takeCoverage());
        stopCoverage();
      }
      // Its work after the outcome (credit published, wake-ups armed) must not run into the trace.
      await warm.rt.stop();
      warmRt = undefined;
    }
    const s = await setUp(path.join(dir, 'traced'));
    rt = s.rt;
    if (MODE === 'statements') startCoverage();
    const { pauses, outcome, breakpoints } = await trace(s.entry, ran);
    // The check on the method: a statement the traced top-up ran that had no breakpoint was not seen.
    let unseen = null;
    if (MODE === 'statements') {
      const key = (l) => `${l.scriptId}:${l.lineNumber}:${l.columnNumber}`;
      const armed = new Set(ran.map(key));
      // A duplicate location in `ran` got one breakpoint; setting it again failed quietly.
      const missed = takeCoverage().filter((l) => !armed.has(key(l)));
      unseen = missed.length;
      if (process.env.TRACE_DEBUG) for (const l of missed) process.stderr.write(`unseen ${projectFile(scripts.get(l.scriptId))}:${l.lineNumber + 1}:${l.columnNumber}\n`);
      stopCoverage();
    }
    post('Debugger.disable');
    const m = measure(pauses);
    const report = { entry: s.entry.name, mode: MODE, breakpoints, unseen, outcome: { status: outcome.status, id: outcome.id, ...(outcome.meter ? { meter: outcome.meter } : {}) }, ...m };
    if (JSON_OUT) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(text(report) + '\n');
    const out = arg('write');
    if (out) writeSection(path.resolve(ROOT, out), arg('label', 'before'), report);
  } finally {
    await rt?.stop().catch(() => undefined);
    await warmRt?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function text(r) {
  const lines = [
    `top-up traced from ${r.entry} (${r.mode}): outcome ${r.outcome.status}`,
    `${r.pauses} pauses in project code${r.unseen === null ? '' : ` (${r.unseen} statements run without a breakpoint)`}, ${r.stops} stops (runs of pauses in one file), ${r.returns} returns to a file already left, ${r.roomStops} room stops`,
    'jobs entered (the shell between them): ' + Object.entries(r.jobs).map(([k, v]) => `${k} ${v}`).join(', '),
    'job path: ' + r.jobPath.filter((s) => s.job !== 'shell').map((s) => `${s.job}(${s.fns.slice(0, 3).join(',')}${s.fns.length > 3 ? ',…' : ''})`).join(' -> '),
    'rooms entered: ' + Object.entries(r.rooms).map(([k, v]) => `${k} ${v}`).join(', '),
    'files entered: ' + Object.entries(r.files).map(([k, v]) => `${k} ${v}`).join(', '),
    'path:',
    ...r.path.map((s, i) => `  ${String(i + 1).padStart(3)} ${s.file} (${s.fns.join(', ')})`),
  ];
  return lines.join('\n');
}

/** Replaces (or appends) the `label` block of the top-up section in `file`. */
function writeSection(file, label, r) {
  const begin = `<!-- trace-top-up:${label} -->`;
  const end = `<!-- /trace-top-up:${label} -->`;
  const rooms = Object.entries(r.rooms).map(([k, v]) => `\`${k.replace(/^gateway\/src\//, '')}\` ${v}`).join(', ');
  const files = Object.entries(r.files).map(([k, v]) => `\`${k.replace(/^gateway\/src\//, '')}\` ${v}`).join(', ');
  const block = [
    begin,
    `### ${label} (${new Date().toISOString().slice(0, 10)}, \`${gitHead()}\`)`,
    '',
    `Entry \`${r.entry}\`, outcome \`${r.outcome.status}\`; ${r.pauses} statements in project code, ${r.unseen ?? "?"} run without a breakpoint.`,
    '',
    `- **${r.stops} stops, ${r.returns} returns** to a file already left; ${r.roomStops} room stops`,
    `- jobs entered (the credit shell hands over between them): ${Object.entries(r.jobs).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- job path: ${r.jobPath.filter((st) => st.job !== 'shell').map((st) => `${st.job} (${st.fns.slice(0, 3).join(', ')}${st.fns.length > 3 ? ', …' : ''})`).join(' → ')}`,
    `- rooms entered: ${rooms}`,
    `- files entered: ${files}`,
    '',
    '<details><summary>the path (file, functions paused in)</summary>',
    '',
    '```',
    ...r.path.map((s, i) => `${String(i + 1).padStart(3)} ${s.file.replace(/^gateway\/src\//, '')}  ${s.fns.join(', ')}`),
    '```',
    '',
    '</details>',
    end,
  ].join('\n');
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Architecture\n';
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a >= 0 && b > a) doc = doc.slice(0, a) + block + doc.slice(b + end.length);
  else doc = doc.replace(/\n*$/, '\n\n') + block + '\n';
  writeFileSync(file, doc);
}

function gitHead() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown commit';
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) await main();
