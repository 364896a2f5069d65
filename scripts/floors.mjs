#!/usr/bin/env node
/**
 * Floors check: reads every TypeScript import in the workspace and reports
 *   - import circles (strongly connected components of the file graph, `import type` included:
 *     a circle of types is still a circle a reader has to walk),
 *   - imports that run upward: a package importing a package above it, or a folder of a package
 *     importing a folder on a higher floor (floors.json at the root says which is which),
 *   - reaches into another package's files by path (`../../gateway/dist/...`, computed import()).
 *
 * `node scripts/floors.mjs` prints a report and exits 1 on any violation not listed in
 * floors.json's `known` (the debt being paid off) and on any `known` entry that no longer occurs
 * (so the list can only shrink). `--json` prints the findings as JSON.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rules = JSON.parse(readFileSync(path.join(ROOT, 'floors.json'), 'utf8'));

/** Every .ts file under <pkg>/<dir> for the listed dirs (no dist, no node_modules). */
function sourceFiles() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'dist') continue;
      const p = path.join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const pkg of Object.keys(rules.packages)) {
    for (const sub of ['src', 'test', 'bench']) {
      const d = path.join(ROOT, pkg, sub);
      if (existsSync(d)) walk(d);
    }
  }
  return out;
}

function stripComments(src) {
  // Good enough for import scanning: block comments, then line comments not inside a string start.
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** [{ spec, typeOnly, dynamic, computed }] */
export function importsOf(src) {
  const text = stripComments(src);
  const found = [];
  const stat = /(^|[;\n}])\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(stat)) {
    if (m[2] === 'export' && !m[4]) continue; // `export 'x'` is not a thing; `export {a}` has no from
    found.push({ spec: m[5], typeOnly: Boolean(m[3]), dynamic: false, computed: false });
  }
  for (const m of text.matchAll(/\bimport\s*\(\s*([^)]*)\)/g)) {
    const arg = m[1].trim();
    const lit = /^['"]([^'"]+)['"]$/.exec(arg);
    if (lit) found.push({ spec: lit[1], typeOnly: false, dynamic: true, computed: false });
    else found.push({ spec: arg, typeOnly: false, dynamic: true, computed: true });
  }
  return found;
}

/** The package dir holding a file: the longest floors.json package key it lies under (hw-tests/testkit before hw-tests). */
function packageOf(file) {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  const dirs = Object.keys(rules.packages).filter((d) => rel.startsWith(`${d}/`));
  return dirs.sort((a, b) => b.length - a.length)[0] ?? rel.split('/')[0];
}

/** The floor of a file inside its package: the longest matching folder prefix in floors.json. */
function floorOf(file) {
  const pkg = packageOf(file);
  const rel = path.relative(path.join(ROOT, pkg), file).split(path.sep).join('/');
  const floors = rules.packages[pkg]?.folders ?? {};
  let best;
  for (const [prefix, floor] of Object.entries(floors)) {
    if ((rel === prefix || rel.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) && (!best || prefix.length > best.prefix.length)) best = { prefix, floor };
  }
  return best?.floor;
}

function resolveRelative(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  const cands = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, path.join(base, 'index.ts'), base];
  return cands.find((c) => existsSync(c) && statSync(c).isFile());
}

export function analyse() {
  const files = sourceFiles();
  const graph = new Map(files.map((f) => [f, new Set()]));
  const violations = [];
  const rel = (f) => path.relative(ROOT, f).split(path.sep).join('/');
  const pkgNames = new Map(Object.entries(rules.packages).map(([dir, p]) => [p.name, dir]));
  const pkgLevel = (dir) => rules.packages[dir]?.level ?? 0;
  const floorLevel = (name) => rules.floors.indexOf(name);

  for (const file of files) {
    const pkg = packageOf(file);
    const isTest = !rel(file).startsWith(`${pkg}/src/`);
    for (const imp of importsOf(readFileSync(file, 'utf8'))) {
      if (imp.computed) {
        if ((rules.allowComputedImports?.files ?? []).includes(rel(file))) continue;
        violations.push({ kind: 'computed-import', from: rel(file), to: imp.spec });
        continue;
      }
      if (imp.spec.startsWith('.')) {
        const target = resolveRelative(file, imp.spec);
        if (!target) continue; // json, assets: not code
        const tpkg = packageOf(target);
        if (tpkg !== pkg || /(^|\/)dist\//.test(imp.spec)) {
          violations.push({ kind: 'reach-by-path', from: rel(file), to: rel(target) });
          continue;
        }
        if (graph.has(target)) graph.get(file).add(target);
        if (!isTest) {
          const a = floorOf(file), b = floorOf(target);
          if (a && b && floorLevel(b) > floorLevel(a)) violations.push({ kind: 'upward', from: rel(file), to: rel(target), detail: `${a} -> ${b}` });
        }
        continue;
      }
      const pkgName = imp.spec.startsWith('@') ? imp.spec.split('/').slice(0, 2).join('/') : imp.spec.split('/')[0];
      const tdir = pkgNames.get(pkgName);
      if (!tdir) {
        if (!isTest && floorOf(file)) {
          const allowed = rules.forbidden?.[floorOf(file)];
          const bare = imp.spec.replace(/^node:/, '');
          if (allowed && allowed.some((x) => bare === x || bare.startsWith(`${x}/`))) violations.push({ kind: 'forbidden-module', from: rel(file), to: imp.spec, detail: floorOf(file) });
        }
        continue;
      }
      if (tdir === pkg) continue;
      if (pkgLevel(tdir) >= pkgLevel(pkg) && !isTest) violations.push({ kind: 'upward-package', from: rel(file), to: pkgName });
    }
  }

  for (const scc of stronglyConnected(graph)) {
    if (scc.length > 1) violations.push({ kind: 'circle', from: scc.map(rel).sort()[0], to: scc.map(rel).sort().join(' <-> ') });
  }
  return { files: files.length, violations };
}

/** Tarjan's algorithm, iterative (deep graphs would overflow the stack recursively). */
function stronglyConnected(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], out = [];
  for (const start of graph.keys()) {
    if (idx.has(start)) continue;
    const work = [[start, [...graph.get(start)], 0]];
    idx.set(start, index); low.set(start, index); index++; stack.push(start); onStack.add(start);
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, succ] = frame;
      if (frame[2] < succ.length) {
        const w = succ[frame[2]++];
        if (!idx.has(w)) {
          idx.set(w, index); low.set(w, index); index++; stack.push(w); onStack.add(w);
          work.push([w, [...graph.get(w)], 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
      } else {
        work.pop();
        if (work.length) { const u = work[work.length - 1][0]; low.set(u, Math.min(low.get(u), low.get(v))); }
        if (low.get(v) === idx.get(v)) {
          const comp = [];
          let w;
          do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
          out.push(comp);
        }
      }
    }
  }
  return out;
}

const key = (v) => `${v.kind} ${v.from} -> ${v.to}`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { files, violations } = analyse();
  const known = new Set(rules.known ?? []);
  const seen = new Set(violations.map(key));
  const fresh = violations.filter((v) => !known.has(key(v)));
  const gone = [...known].filter((k) => !seen.has(k));
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ files, violations, fresh, gone }, null, 2)}\n`);
  } else {
    process.stdout.write(`floors: ${files} files, ${violations.length} findings (${violations.length - fresh.length} known debt)\n`);
    for (const v of fresh) process.stdout.write(`  NEW ${key(v)}${v.detail ? ` (${v.detail})` : ''}\n`);
    for (const k of gone) process.stdout.write(`  FIXED (remove from floors.json known): ${k}\n`);
  }
  process.exit(fresh.length || gone.length ? 1 : 0);
}
