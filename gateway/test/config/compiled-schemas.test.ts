/**
 * The ahead-of-time compiled validators (scripts/compile-schemas.mjs) match their schemas: a schema
 * edited without regenerating fails here, not silently at a technician's `config check`.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';

const SCRIPT = new URL('../../../../scripts/compile-schemas.mjs', import.meta.url);
const ROOT = new URL('../../../../', import.meta.url);

interface Target {
  schema: string;
  out: string;
}
const { TARGETS, generate } = (await import(SCRIPT.href)) as { TARGETS: Target[]; generate(t: Target): string };

for (const target of TARGETS) {
  test(`${target.out} is ${target.schema} compiled (else: node scripts/compile-schemas.mjs)`, (t) => {
    t.is(readFileSync(new URL(target.out, ROOT), 'utf8'), generate(target));
  });
}
