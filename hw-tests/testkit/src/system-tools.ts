/**
 * Tests that need a system tool (socat, mbpoll, pymodbus, mosquitto, openssl, unshare, ip), named
 * by the Debian package that provides it. Outside CI a missing tool
 * skips the test with a message naming the Debian package; in CI (CI=true) nothing skips, so a
 * missing tool fails the test loudly.
 */
import { spawnSync } from 'node:child_process';
import test from 'ava';

const inCi = process.env.CI === 'true';

export function hasCommand(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined;
}

export function hasPymodbus(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import pymodbus'], { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

const checks: Record<string, () => boolean> = {
  socat: () => hasCommand('socat', ['-V']),
  mbpoll: () => hasCommand('mbpoll', ['-V']),
  'python3-pymodbus': hasPymodbus,
  mosquitto: () => hasCommand('mosquitto', ['-h']),
  'mosquitto-clients': () => hasCommand('mosquitto_pub', ['--help']),
  openssl: () => hasCommand('openssl', ['version']),
  // unshare -n: present and permitted here (a container may forbid new namespaces)
  'util-linux': () => spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0,
  iproute2: () => hasCommand('ip', ['-V']),
};
const cache = new Map<string, boolean>();

/** `test`, or `test.skip` with the missing packages named in the title (never in CI). */
export function testWith(packages: string[]): typeof test {
  const missing = packages.filter((p) => {
    if (!cache.has(p)) cache.set(p, checks[p]?.() ?? false);
    return !cache.get(p);
  });
  if (missing.length === 0 || inCi) return test;
  const skip = ((title: string, ...rest: unknown[]) =>
    (test.skip as (...a: unknown[]) => void)(`${title} [skipped: apt-get install ${missing.join(' ')}]`, ...rest)) as unknown as typeof test;
  return skip;
}
