/**
 * The installed commands (prepaid-gateway, prepaid-sim, prepaid-firmware): the launchers npm links
 * into node_modules/.bin, so a test runs what a technician runs and never reaches into a
 * package's dist/ by path.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of node_modules/.bin/<name> in the nearest install above this package. */
export function installedCommand(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const bin = join(dir, 'node_modules', '.bin', name);
    if (existsSync(bin)) return bin;
    const up = dirname(dir);
    if (up === dir) throw new Error(`${name} is not installed (no node_modules/.bin/${name} above ${fileURLToPath(import.meta.url)}): run npm install`);
    dir = up;
  }
}
