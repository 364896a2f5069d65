/**
 * The installed commands, run the way a technician runs them: `npx --no-install NAME` from the repo
 * root, as child processes. Each bin is a committed launcher (never a file under dist/, which does not
 * exist yet when npm links bins at install), and says how to build when dist/ is missing.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PACKAGES = ['gateway', 'simulator', 'firmware-ts'];

interface Manifest {
  version: string;
  bin?: Record<string, string>;
}
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest;

async function npx(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  // npm_config_yes=false: even if a bin were not linked, npx must fail instead of asking the registry.
  return run('npx', ['--no-install', ...args], { cwd: ROOT, timeout: 90_000, env: { ...process.env, npm_config_yes: 'false' } });
}

test('npx --no-install prepaid-gateway --version prints the package version', async (t) => {
  const { stdout } = await npx('prepaid-gateway', '--version');
  t.is(stdout.trim(), manifest('gateway').version);
});

test('npx --no-install prepaid-sim --help prints its usage', async (t) => {
  const { stdout } = await npx('prepaid-sim', '--help');
  t.regex(stdout, /^Usage: prepaid-sim /m);
  t.regex(stdout, /--tcp/);
});

test('npx --no-install prepaid-firmware --help prints its usage', async (t) => {
  const { stdout, stderr } = await npx('prepaid-firmware', '--help');
  t.regex(stdout + stderr, /usage: prepaid-firmware --config FILE --state-dir DIR/);
});

test('every bin is a committed executable launcher with a shebang, none under dist/', (t) => {
  const bins = PACKAGES.flatMap((dir) => Object.entries(manifest(dir).bin ?? {}).map(([name, target]) => ({ dir, name, target })));
  t.deepEqual(bins.map((b) => b.name).sort(), ['prepaid-firmware', 'prepaid-gateway', 'prepaid-sim']);
  for (const { dir, name, target } of bins) {
    t.false(/(^|\/)dist\//.test(target), `${name} -> ${target} lives under dist/`);
    const file = join(ROOT, dir, target);
    t.notThrows(() => accessSync(file, constants.X_OK), `${file} is not executable`);
    t.true(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n'), `${file} has no node shebang`);
  }
});

test('a launcher without a build says to run npm install / npm run build and exits 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bins-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  copyFileSync(join(ROOT, 'gateway/bin/prepaid-gateway.js'), join(dir, 'bin/prepaid-gateway.js'));
  const err = await t.throwsAsync(run(process.execPath, [join(dir, 'bin/prepaid-gateway.js'), '--version'], { timeout: 30_000 }));
  const e = err as Error & { code?: number; stderr?: string };
  t.is(e.code, 1);
  t.regex(e.stderr ?? '', /prepaid-gateway: not built yet .*dist\/src\/app\/cli\.js is missing\): run npm install, or npm run build/);
});
