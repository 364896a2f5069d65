/**
 * bdSeq survives restarts in a small file next to the outbox DB (`<db>.bdseq`): each new CONNECT
 * takes the next value, written (tmp + rename) before the CONNECT carrying it goes out.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { nextBdSeq } from '../../core/sparkplug/index.js';

export function bdSeqPath(dbPath: string): string {
  return `${dbPath}.bdseq`;
}

export function readBdSeq(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
}

/** The bdSeq for a new connection, persisted before it is used. */
export function takeBdSeq(file: string): number {
  const n = nextBdSeq(readBdSeq(file));
  writeFileSync(`${file}.tmp`, `${n}\n`);
  renameSync(`${file}.tmp`, file);
  return n;
}
