import { readFileSync } from 'node:fs';

/** The gateway package version, reported in status messages. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
