/** Where the two state slots live: files (real meter, kill tests) or memory (simulated FRAM). */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type Slot = 0 | 1;

export interface SlotStorage {
  read(slot: Slot): string | undefined;
  /** Must be atomic: afterwards the slot holds either the old or the new record, never a mix. */
  write(slot: Slot, data: string): void;
}

export class MemorySlots implements SlotStorage {
  readonly slots: [string | undefined, string | undefined] = [undefined, undefined];
  writes = 0;
  read(slot: Slot): string | undefined {
    return this.slots[slot];
  }
  write(slot: Slot, data: string): void {
    this.slots[slot] = data;
    this.writes++;
  }
}

/** Points in a file write where a fault-injection hook may stop the process (kill tests). */
export type WriteStep = 'opened' | 'half-written' | 'written' | 'synced' | 'renamed' | 'dir-synced';

export interface FileSlotsOptions {
  /** Called at each step of every write; kill tests crash the process here. */
  faultHook?: (step: WriteStep, slot: Slot) => void;
}

/**
 * Two files, state-a and state-b. A write goes to a temp file, is fsynced, renamed over the slot
 * and the directory is fsynced, so a power cut leaves the slot whole (old or new); the other slot
 * still holds the previous generation in case a filesystem loses the rename.
 */
export class FileSlots implements SlotStorage {
  private readonly hook: (step: WriteStep, slot: Slot) => void;
  constructor(
    readonly dir: string,
    opts: FileSlotsOptions = {},
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.hook = opts.faultHook ?? (() => {});
  }

  path(slot: Slot): string {
    return join(this.dir, slot === 0 ? 'state-a' : 'state-b');
  }

  read(slot: Slot): string | undefined {
    try {
      return readFileSync(this.path(slot), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  write(slot: Slot, data: string): void {
    const target = this.path(slot);
    const tmp = `${target}.tmp`;
    const buf = Buffer.from(data, 'utf8');
    const fd = openSync(tmp, 'w', 0o600);
    try {
      this.hook('opened', slot);
      const half = buf.length >> 1;
      writeAll(fd, buf, 0, half);
      this.hook('half-written', slot);
      writeAll(fd, buf, half, buf.length);
      this.hook('written', slot);
      fsyncSync(fd);
      this.hook('synced', slot);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    this.hook('renamed', slot);
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    this.hook('dir-synced', slot);
  }
}

function writeAll(fd: number, buf: Buffer, from: number, to: number): void {
  let pos = from;
  while (pos < to) pos += writeSync(fd, buf, pos, to - pos);
}
