/**
 * Debian's chromium driven by playwright-core (no browser download): a fresh profile per test,
 * closed in teardown. Tests using it are skipped outside CI when chromium (or another tool they
 * need) is missing, naming the Debian packages; in CI (CI=true) they always run.
 */
import { existsSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { chromium, type BrowserContext } from 'playwright-core';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';

export const CHROMIUM = '/usr/bin/chromium';

/** `test`, or a skip naming `chromium` and the other missing packages (never when CI=true). */
export function testWithChromium(packages: string[]): typeof test {
  if (!existsSync(CHROMIUM) && process.env.CI !== 'true') {
    const skip = ((title: string, ...rest: unknown[]) => (test.skip as (...a: unknown[]) => void)(`${title} [skipped: apt-get install chromium ${packages.join(' ')}]`, ...rest)) as unknown as typeof test;
    return skip;
  }
  return testWith(packages);
}

export async function launchChromium(t: ExecutionContext, viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  const profile = tempDir(t, 'prepaid-chromium-');
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
  t.teardown(() => ctx.close());
  return ctx;
}
