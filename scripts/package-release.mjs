#!/usr/bin/env node
/**
 * npm run package: a self-contained release of the gateway for this platform,
 * release/prepaid-edge-<version>-<os>-<arch>.tar.gz, that installs and runs with no network:
 * compiled JS, the production node_modules (native sqlite3/serialport built for this platform),
 * the runtime data files (schemas, profiles, web console assets, example configs), the systemd unit
 * and a README. Steps for another platform (linux-arm64): docs/deploy.md.
 *
 *   node scripts/package-release.mjs [--out DIR] [--no-build]
 *
 * node_modules are copied from this checkout (the packages `npm ls --omit=dev` lists), not
 * installed again: packaging needs no network either, and ships exactly what the tests ran on.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The workspaces a gateway runs (hw-tests is a test suite, not shipped). */
const RUNTIME = ['protocols', 'firmware-ts', 'simulator', 'gateway'];
const BINS = { 'prepaid-gateway': 'gateway', 'prepaid-sim': 'simulator', 'prepaid-firmware': 'firmware-ts' };

const { values: opt } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'release') }, 'no-build': { type: 'boolean', default: false } } });
const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const name = `prepaid-edge-${rootPkg.version}-${process.platform}-${process.arch}`;
const outDir = resolve(opt.out);
const stage = join(outDir, name);
const tarball = join(outDir, `${name}.tar.gz`);
const sh = (cmd, args, cwd = ROOT) => execFileSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });

if (!opt['no-build']) {
  process.stderr.write('package: building (tsc -b)\n');
  sh(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b']);
}
rmSync(stage, { recursive: true, force: true });
rmSync(tarball, { force: true });
mkdirSync(stage, { recursive: true });

// 1. Each runtime workspace: its committed non-TypeScript files (package.json, bin/, schemas,
//    profiles, examples, deploy/, web assets under src/), and dist/src (no compiled tests).
for (const pkg of RUNTIME) {
  const files = sh('git', ['ls-files', '-z', pkg]).split('\0').filter(Boolean);
  for (const f of files) {
    const inner = f.slice(pkg.length + 1);
    if (f.endsWith('.ts') || /^(test|bench)\//.test(inner) || /^tsconfig.*\.json$/.test(inner)) continue;
    if (!existsSync(join(ROOT, f))) continue; // deleted in the work tree
    cpSync(join(ROOT, f), join(stage, f));
  }
  const dist = join(ROOT, pkg, 'dist', 'src');
  if (!existsSync(dist)) throw new Error(`${pkg}/dist/src is missing: run npm run build`);
  cpSync(dist, join(stage, pkg, 'dist', 'src'), { recursive: true, filter: (src) => !src.endsWith('.tsbuildinfo') });
}

// 2. A root package.json without the dev tools or the build step, and the lock file.
const { devDependencies: _dev, scripts: _scripts, ava: _ava, ...shipped } = rootPkg;
writeFileSync(join(stage, 'package.json'), JSON.stringify({ ...shipped, workspaces: RUNTIME }, null, 2) + '\n');
cpSync(join(ROOT, 'package-lock.json'), join(stage, 'package-lock.json'));

// 3. The production dependency tree of the runtime workspaces, as installed here (not the test
// workspaces': the testkit's peer ava would come along).
let parseable;
try {
  parseable = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable', ...RUNTIME.flatMap((w) => ['--workspace', w])], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
} catch (e) {
  parseable = e.stdout ?? ''; // npm ls exits 1 on a peer-dependency warning, yet lists the tree
}
const dirs = [...new Set(parseable.split('\n').map((l) => l.trim()).filter(Boolean))]
  .map((p) => relative(ROOT, p))
  .filter((p) => p.split(sep).includes('node_modules') && !p.startsWith('..'))
  .sort();
const copied = [];
for (const d of dirs) {
  if (copied.some((c) => d.startsWith(c + sep))) continue; // inside a package copied whole
  const src = join(ROOT, d);
  if (!existsSync(src)) continue;
  if (d.startsWith(`node_modules${sep}@prepaid-edge${sep}`)) continue; // workspace links, below
  cpSync(src, join(stage, d), { recursive: true, verbatimSymlinks: true, filter: runtimeFile });
  copied.push(d);
}
/**
 * What a dependency needs at run time: native modules lose their C sources and build
 * intermediates (sqlite3 alone drops from 28 MB to 3), prebuilt binaries for other platforms go.
 */
function runtimeFile(src) {
  const parts = src.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return true;
  const scoped = parts[at + 1]?.startsWith('@') ? 2 : 1;
  const pkgDir = parts.slice(0, at + 1 + scoped).join(sep);
  const inner = parts.slice(at + 1 + scoped);
  const base = inner.at(-1) ?? '';
  if (base === '.cache') return false;
  if (inner[0] === 'prebuilds' && inner.length >= 2) {
    const [os, archs = ''] = inner[1].split('-');
    if (os !== process.platform || !archs.split('+').includes(process.arch)) return false;
  }
  if (!existsSync(join(pkgDir, 'binding.gyp'))) return true;
  if (['obj.target', 'obj', '.deps'].includes(base) || base === 'Makefile') return false;
  return !/\.(c|cc|cpp|h|hpp|o|a|mk|d|gypi|tar|gz|tgz)$/.test(base);
}

for (const pkg of RUNTIME) {
  const pkgName = JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')).name;
  const link = join(stage, 'node_modules', pkgName);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(relative(dirname(link), join(stage, pkg)), link);
}
mkdirSync(join(stage, 'node_modules', '.bin'), { recursive: true });
for (const [bin, pkg] of Object.entries(BINS)) {
  const target = JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')).bin[bin];
  symlinkSync(join('..', '..', pkg, target), join(stage, 'node_modules', '.bin', bin));
}

// 4. Docs and the release README.
cpSync(join(ROOT, 'docs', 'deploy.md'), join(stage, 'docs', 'deploy.md'));
cpSync(join(ROOT, 'docs', 'errors.md'), join(stage, 'docs', 'errors.md'));
cpSync(join(ROOT, 'docs', 'mqtt.md'), join(stage, 'docs', 'mqtt.md'));
writeFileSync(join(stage, 'README.md'), releaseReadme());

sh('tar', ['-czf', tarball, '-C', outDir, name]);
const bytes = statSync(tarball).size;
const unpacked = Number(sh('du', ['-sk', stage]).split(/\s/)[0]) * 1024;
rmSync(stage, { recursive: true, force: true });
process.stdout.write(`${relative(process.cwd(), tarball).startsWith('..') ? tarball : relative(process.cwd(), tarball)}: ${(bytes / 1e6).toFixed(1)} MB (${(unpacked / 1e6).toFixed(0)} MB unpacked, ${copied.length} dependency packages)\n`);

function releaseReadme() {
  return `# ${name}

prepaid-edge ${rootPkg.version}, built for ${process.platform}-${process.arch} with Node.js ${process.version}
on ${new Date().toISOString().slice(0, 10)}. Self-contained: nothing is downloaded at install or at start.
Needs Node.js ${rootPkg.engines?.node ?? '20'} (\`/usr/bin/node\` for the systemd unit).

    sudo install -d -m 0755 /opt/${name}
    sudo tar -xzf ${name}.tar.gz --strip-components=1 -C /opt/${name}
    sudo ln -sfn /opt/${name} /opt/prepaid-edge
    /opt/prepaid-edge/node_modules/.bin/prepaid-gateway --version
    /opt/prepaid-edge/node_modules/.bin/prepaid-gateway config check /etc/prepaid-edge/gateway.yaml

Then the user, the configuration and the systemd unit (\`gateway/deploy/prepaid-gateway.service\`) as in
docs/deploy.md, "Install". Example configurations: \`gateway/examples/\`; the simulator
(\`node_modules/.bin/prepaid-sim\`) is included to try a configuration without meters:

    node_modules/.bin/prepaid-sim --profile sdm630 --meters 3 --tcp 5020 &
    node_modules/.bin/prepaid-gateway run --config gateway/examples/sim-tcp.yaml

Error codes: docs/errors.md. MQTT topics and payloads: docs/mqtt.md.
`;
}
