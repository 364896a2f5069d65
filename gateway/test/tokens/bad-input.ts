/** The bad-input table of a token CLI: each row one test that wants exit 2, one stderr line naming it, nothing on stdout. */
import test from 'ava';
import type { CliRun } from './run-cli.js';

/** [what is wrong, args after `token <kind>`, what stderr must say] */
export type BadInput = [string, string[], RegExp];

/** `args` with the value after `opt` replaced. */
export const withOpt = (args: string[], opt: string, value: string): string[] => args.map((a, i) => (args[i - 1] === opt ? value : a));

export function badInputTests(run: (...args: string[]) => CliRun, bad: readonly BadInput[]): void {
  for (const [name, args, message] of bad) {
    test(`bad input: ${name} -> exit 2, one line naming it, nothing on stdout`, (t) => {
      const r = run(...args);
      t.is(r.code, 2);
      t.is(r.stdout, '');
      t.regex(r.stderr, message);
      if (!/^error: /.test(r.stderr)) t.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    });
  }
}
