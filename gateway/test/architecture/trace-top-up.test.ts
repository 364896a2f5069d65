/**
 * The top-up tracer (scripts/trace-top-up.mjs, issue 12 item 2) on today's code: it follows one
 * signed top-up from the entry, through the ledger's post, to an applied outcome.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

interface Stop {
  file: string;
  fns: string[];
  pauses: number;
}
interface Report {
  entry: string;
  outcome: { status: string };
  unseen: number | null;
  pauses: number;
  stops: number;
  returns: number;
  files: Record<string, number>;
  rooms: Record<string, number>;
  path: Stop[];
}

test('the traced top-up starts at the entry, reaches the ledger post and ends applied', (t) => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/trace-top-up.mjs'), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  const entryFn = report.entry.split('.')[1]!;
  const first = report.path[0]!;
  t.true(first.fns.includes(entryFn), `first stop ${first.file} (${first.fns.join(', ')}) is not ${report.entry}`);
  t.true(
    report.path.some((s) => /ledger/.test(s.file) && s.fns.some((f) => /^post/.test(f))),
    'no stop in the ledger posting',
  );
  t.is(report.outcome.status, 'applied');
  t.is(report.unseen, 0, 'statements of the traced top-up ran without a breakpoint: the path has holes');
  t.is(report.path.at(-1)!.file, first.file, 'the outcome goes back out through the entry');
  t.is(report.stops, report.path.length);
  t.is(Object.values(report.files).reduce((a, b) => a + b, 0), report.stops);
  t.true(report.returns < report.stops);
});
