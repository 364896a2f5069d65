/**
 * What package-lock.json must hold for a clean install on the README's Node version: one major of
 * serialport (and one version of each @serialport/* package), no `engines.node` that excludes the
 * oldest Node the root package.json admits, and every install script approved in `allowScripts`.
 */
import semver from 'semver';

export interface LockEntry {
  version?: string;
  link?: boolean;
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
}

export interface Lock {
  packages: Record<string, LockEntry>;
}

export interface RootManifest {
  engines?: { node?: string };
  allowScripts?: Record<string, boolean>;
}

/** node_modules/a/node_modules/@s/b -> @s/b; '' (the root) and workspace folders -> undefined. */
export function packageName(key: string): string | undefined {
  const i = key.lastIndexOf('node_modules/');
  return i < 0 ? undefined : key.slice(i + 'node_modules/'.length);
}

function versionsOf(lock: Lock): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [key, e] of Object.entries(lock.packages)) {
    const name = packageName(key);
    if (!name || e.link || !e.version) continue;
    if (!out.has(name)) out.set(name, new Set());
    out.get(name)!.add(e.version);
  }
  return out;
}

/** An allowScripts key is `name` or `name@range` (scoped names start with '@'). */
function approved(allow: Record<string, boolean>, name: string, version: string): boolean {
  for (const [key, ok] of Object.entries(allow)) {
    const at = key.indexOf('@', 1);
    const keyName = at < 0 ? key : key.slice(0, at);
    const range = at < 0 ? '*' : key.slice(at + 1);
    if (keyName === name && ok && semver.satisfies(version, range)) return true;
  }
  return false;
}

export function lockProblems(lock: Lock, root: RootManifest): string[] {
  const problems: string[] = [];
  const versions = versionsOf(lock);

  const sp = [...(versions.get('serialport') ?? [])];
  const majors = new Set(sp.map((v) => semver.major(v)));
  if (majors.size > 1) problems.push(`serialport: ${majors.size} majors in the tree (${sp.sort().join(', ')}), want one`);
  for (const [name, vs] of versions) {
    if (name.startsWith('@serialport/') && vs.size > 1) problems.push(`${name}: ${vs.size} versions (${[...vs].sort().join(', ')}), want one`);
  }

  const floor = semver.minVersion(root.engines?.node ?? '>=0')!.version;
  const allow = root.allowScripts ?? {};
  for (const [key, e] of Object.entries(lock.packages)) {
    const name = packageName(key);
    if (!name || e.link || !e.version) continue;
    const range = Array.isArray(e.engines) ? undefined : e.engines?.node;
    if (range && !semver.satisfies(floor, range)) problems.push(`${name}@${e.version}: engines.node '${range}' excludes Node ${floor} (EBADENGINE)`);
    if (e.hasInstallScript && !approved(allow, name, e.version)) problems.push(`${name}@${e.version}: install script not approved in allowScripts`);
  }
  return problems;
}
