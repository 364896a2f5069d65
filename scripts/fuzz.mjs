#!/usr/bin/env node
/**
 * `npm run fuzz [-- <target>...] [--runs N] [--jobs N] [--seed S]`: every fuzz target of
 * gateway/test/fuzz/targets.ts with N inputs (default 10^6; the web API target gets N/10 HTTP
 * requests), `--jobs` targets at a time (default: the core count), each in its own process.
 * Writes the table to docs/reliability.md between `<!-- fuzz:start -->` and `<!-- fuzz:end -->`
 * and exits 1 on any crash or hang. CI runs the same targets with 10^4 inputs through ava
 * (gateway/test/fuzz/*.test.ts).
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'gateway', 'dist', 'test', 'fuzz');
const DOC = path.join(ROOT, 'docs', 'reliability.md');
const CHUNK = 10_000;
const WEB = 'web-api';

async function child(name, runs, seed) {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let report;
  if (name === WEB) {
    const { startFakeConsole } = await import(pathToFileURL(path.join(ROOT, 'gateway/dist/test/web/helpers.js')).href);
    const { fuzzWebApi } = await import(pathToFileURL(path.join(DIST, 'web-api-fuzz.js')).href);
    const teardowns = [];
    const { url } = await startFakeConsole({ teardown: (fn) => teardowns.push(fn) });
    try {
      report = { target: WEB, input: 'console API requests: bodies, content types, query strings, params', runs: 0, accepted: 0, rejected: {}, slowestMs: 0, seed };
      for (let done = 0; done < runs && !report.crash; done += CHUNK) {
        const r = await fuzzWebApi(url, Math.min(CHUNK, runs - done), seed + done);
        report.runs += r.runs;
        report.slowestMs = Math.max(report.slowestMs, r.slowestMs);
        for (const [s, n] of Object.entries(r.statuses)) report.rejected[`HTTP ${s}`] = (report.rejected[`HTTP ${s}`] ?? 0) + n;
        if (r.crash) report.crash = `seed ${seed + done}: ${r.crash}`;
        process.stderr.write(`${WEB}: ${report.runs}/${runs}\n`);
      }
    } finally {
      for (const fn of teardowns.reverse()) await fn();
    }
  } else {
    const { TARGETS, fuzz } = await import(pathToFileURL(path.join(DIST, 'targets.js')).href);
    const target = TARGETS.find((t) => t.name === name);
    report = { target: name, input: target.input, runs: 0, accepted: 0, rejected: {}, slowestMs: 0, seed };
    // Chunks with seeds seed, seed+CHUNK, ...: a crash names the chunk's seed, which replays it (FUZZ_SEED).
    for (let done = 0; done < runs && !report.crash; done += CHUNK) {
      const r = fuzz(target, Math.min(CHUNK, runs - done), seed + done);
      report.runs += r.runs;
      report.accepted += r.accepted;
      report.slowestMs = Math.max(report.slowestMs, r.slowestMs);
      for (const [c, n] of Object.entries(r.rejected)) report.rejected[c] = (report.rejected[c] ?? 0) + n;
      if (r.crash) report.crash = `seed ${seed + done}: ${r.crash}`;
      if ((done / CHUNK) % 10 === 0) process.stderr.write(`${name}: ${report.runs}/${runs}\n`);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  report.seconds = (performance.now() - started) / 1000;
  report.cpuUsPerInput = (cpu.user + cpu.system) / Math.max(1, report.runs);
  process.send(report, () => process.exit(0));
}

function runChild(name, runs, seed) {
  return new Promise((resolve) => {
    const c = fork(fileURLToPath(import.meta.url), ['--child', name, String(runs), String(seed)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let report;
    c.on('message', (m) => (report = m));
    c.on('exit', (code, signal) => resolve(report ?? { target: name, input: '', runs: 0, accepted: 0, rejected: {}, slowestMs: 0, seed, crash: `the fuzz process died (${signal ?? `exit ${code}`})` }));
  });
}

function writeDoc(reports, command) {
  const rows = reports.map((r) => {
    const rejected = Object.entries(r.rejected).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
    return `| ${r.target} | ${r.input} | ${r.runs.toLocaleString('en')} | ${r.target === WEB ? '—' : r.accepted.toLocaleString('en')} | ${rejected || '—'} | ${r.crash ? '**1**' : 0} | ${r.slowestMs.toFixed(1)} ms | ${(r.cpuUsPerInput ?? 0).toFixed(0)} µs | ${r.seed} |`;
  });
  const section = [
    '<!-- fuzz:start -->',
    '## Fuzzing: every decoder of outside input',
    '',
    `Command: \`${command}\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} cores, shared with other work).`,
    '',
    'Inputs: arbitrary bytes or text, and mutations of well-formed inputs (bit flips, interesting bytes, inserted, deleted, duplicated and truncated spans, splices); for the checksummed formats also mutated contents re-framed with a good CRC / checksum, and for STS random data blocks with a good CRC (clear and encrypted), so inputs get past the first check into the field decoders. Property-based with fast-check. A coverage-guided fuzzer was tried first: Jazzer.js 4.0.0 (2026-04) ships a libFuzzer addon built against glibc 2.38, which Debian 12 and Raspberry Pi OS bookworm (glibc 2.36) cannot load, and 2.1.0 has no prebuilt addon (it builds from source with a C++ toolchain at install). Contract per input: the decoder returns, or rejects with a PrepaidError whose code is registered (docs/errors.md); anything else is a crash; a call taking over 1 s of CPU is a hang (CPU, not wall time: the machine is shared). The web API target sends authenticated HTTP requests to a running console and requires every answer below 500 and every refusal a JSON error with a registered code.',
    '',
    '| target | input | inputs | accepted | rejected (by code) | crashes + hangs | slowest (CPU; web: wall) | CPU per input | seed |',
    '|---|---|---:|---:|---|---:|---:|---:|---:|',
    ...rows,
    '',
    `Result: ${reports.every((r) => !r.crash) ? '0 crashes, 0 hangs; every rejection a registered code.' : `**${reports.filter((r) => r.crash).length} target(s) failed**: ${reports.filter((r) => r.crash).map((r) => `${r.target} (${r.crash.split('\n')[0]})`).join('; ')}`}`,
    'CI runs the same targets with 10^4 inputs each (the web API 10^3) in `gateway/test/fuzz/`; `FUZZ_SEED=<seed>` replays a run, `FUZZ_RUNS` sets its size.',
    '<!-- fuzz:end -->',
  ].join('\n');
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Field reliability figures\n\nEach figure: the load, the fault, the result, and the command that produced it.\n';
  const re = /<!-- fuzz:start -->[\s\S]*?<!-- fuzz:end -->/;
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, doc);
}

async function main(argv) {
  const flags = {};
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    if (['--runs', '--jobs', '--seed'].includes(argv[i])) flags[argv[i].slice(2)] = Number(argv[++i]);
    else names.push(argv[i]);
  }
  const runs = flags.runs ?? Number(process.env.FUZZ_RUNS ?? 1_000_000);
  const jobs = flags.jobs ?? os.cpus().length;
  const seed = flags.seed ?? Date.now() % 2 ** 31;
  if (!existsSync(path.join(DIST, 'targets.js'))) {
    console.error('build first: npx tsc -b');
    return 2;
  }
  const { TARGETS } = await import(pathToFileURL(path.join(DIST, 'targets.js')).href);
  const all = [...TARGETS.map((t) => t.name), WEB];
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length) {
    console.error(`unknown target(s) ${unknown.join(', ')}; targets: ${all.join(', ')}`);
    return 2;
  }
  const selected = names.length ? names : all;
  const queue = [...selected];
  const reports = [];
  await Promise.all(
    Array.from({ length: Math.max(1, jobs) }, async () => {
      for (let n = queue.shift(); n; n = queue.shift()) {
        const r = await runChild(n, n === WEB ? Math.max(100, Math.round(runs / 10)) : runs, seed);
        console.error(`${r.crash ? 'CRASH' : 'ok'} ${n}: ${r.runs} inputs in ${(r.seconds ?? 0).toFixed(0)} s${r.crash ? `\n${r.crash}` : ''}`);
        reports.push(r);
      }
    }),
  );
  reports.sort((a, b) => all.indexOf(a.target) - all.indexOf(b.target));
  writeDoc(reports, `npm run fuzz -- --runs ${runs}${names.length ? ` ${names.join(' ')}` : ''}`);
  console.error(`wrote ${path.relative(ROOT, DOC)}`);
  return reports.some((r) => r.crash) ? 1 : 0;
}

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
else process.exitCode = await main(process.argv.slice(2));
