/**
 * The floors rule (floors.json, scripts/floors.mjs): no import circle anywhere, no import that runs
 * up a floor or a package, no reach into another package by path — except the listed debt, which
 * may only shrink.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

function check(root: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/floors.mjs')], { cwd: root, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('the tree has no new import circle, upward import or reach by path', (t) => {
  const r = check(ROOT);
  t.is(r.status, 0, r.out);
});

test('the check catches a new circle, an upward import and a fixed debt entry', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'floors-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(ROOT, 'scripts/floors.mjs'), path.join(dir, 'scripts/floors.mjs'));
  cpSync(path.join(ROOT, 'gateway/src/core/tariff'), path.join(dir, 'gateway/src/core/tariff'), { recursive: true });
  const rules = JSON.parse(readFileSync(path.join(ROOT, 'floors.json'), 'utf8')) as { known: string[] };
  const seeded = { ...rules, known: ['circle gateway/src/gone.ts -> gateway/src/gone.ts <-> gateway/src/away.ts'] };
  writeFileSync(path.join(dir, 'floors.json'), JSON.stringify(seeded));
  writeFileSync(path.join(dir, 'gateway/src/a.ts'), "import { b } from './b.js';\nexport const a = () => b;\n");
  writeFileSync(path.join(dir, 'gateway/src/b.ts'), "import type { a } from './a.js';\nexport const b = 1 as unknown as typeof a;\n");
  writeFileSync(path.join(dir, 'gateway/src/core/tariff/up.ts'), "import { x } from '../../app/runtime.js';\nimport { readFileSync } from 'node:fs';\nexport const y = [x, readFileSync];\n");
  mkdirSync(path.join(dir, 'gateway/src/app'), { recursive: true });
  writeFileSync(path.join(dir, 'gateway/src/app/runtime.ts'), 'export const x = 1;\n');
  const r = check(dir);
  t.is(r.status, 1);
  t.regex(r.out, /NEW circle gateway\/src\/a\.ts -> gateway\/src\/a\.ts <-> gateway\/src\/b\.ts/);
  t.regex(r.out, /NEW upward gateway\/src\/core\/tariff\/up\.ts -> gateway\/src\/app\/runtime\.ts \(core -> application\)/);
  t.regex(r.out, /NEW forbidden-module gateway\/src\/core\/tariff\/up\.ts -> node:fs/);
  t.regex(r.out, /FIXED \(remove from floors\.json known\): circle gateway\/src\/gone\.ts/);
});
