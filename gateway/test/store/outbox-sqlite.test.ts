/** The outbox contract on a real SQLite file, in both durability modes. */
import { join } from 'node:path';
import type { Outbox } from '../../src/core/model.js';
import { openOutbox, type SqliteOutbox } from '../../src/adapters/store/index.js';
import { outboxContract } from './outbox-contract.js';
import { tempDir } from './temp-dir.js';

for (const synchronous of ['full', 'normal'] as const) {
  outboxContract(`sqlite (synchronous ${synchronous})`, (t) => {
    const path = join(tempDir(t), 'sub', 'outbox.db');
    return {
      open: (o = {}) => openOutbox({ path, maxReadings: o.maxReadings ?? 5_000_000, maxBytes: o.maxBytes ?? 1 << 30, synchronous }, o.clock ? { clock: o.clock } : {}),
      commits: (o: Outbox) => (o as SqliteOutbox).writeStats().commits,
    };
  });
}
