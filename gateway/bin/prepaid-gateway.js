#!/usr/bin/env node
// The committed prepaid-gateway command. npm links a workspace bin at install, before postinstall
// builds dist/, so a bin pointing into dist/ is never linked: this file exists from the clone on.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/app/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('prepaid-gateway: not built yet (' + fileURLToPath(entry) + ' is missing): run npm install, or npm run build\n');
  process.exit(1);
}
await import(entry.href);
