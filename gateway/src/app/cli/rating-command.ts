/**
 * `prepaid-gateway credit rating [--meter ID] [--json]`: each account's credit score, grade (class)
 * and band, with the factors that make the score. The ratings the gateway stored at its last daily
 * pass; with none stored yet (or --now), computed from the ledger as it is, nothing written.
 * Read-only, safe while the service runs (SQLite WAL readers do not block it).
 */
import { existsSync } from 'node:fs';
import { PrepaidError, systemClock } from '@prepaid-edge/protocols';
import { loadConfig } from '../config/load-config.js';
import { explain, type Rating } from '../../core/rating/index.js';
import { guarded } from './fail.js';

async function ratings(configPath: string, meter: string | undefined, fresh: boolean): Promise<{ source: 'stored' | 'computed'; ratings: Rating[] }> {
  const cfg = loadConfig(configPath);
  if (!cfg.rating || !cfg.credit) throw new PrepaidError('E_CONFIG_INVALID', 'rating: the configuration has no rating section (rating: { file: ... } beside credit:)', { path: 'rating' });
  if (meter && !cfg.credit.accounts.some((a) => a.meter === meter)) throw new PrepaidError('E_CONFIG_INVALID', `--meter: no credit account for meter "${meter}"`, { path: 'meter', meter });
  if (!existsSync(cfg.storage.path)) throw new PrepaidError('E_STORE_OPEN', `${cfg.storage.path}: no gateway database yet (the gateway has not run)`, { path: cfg.storage.path });
  const [{ RatingStore }, { RatingService }, { loadRating }, { createLogger }] = await Promise.all([
    import('../../adapters/rating/rating-store.js'),
    import('../../adapters/rating/rating-service.js'),
    import('../../adapters/rating/load-rating.js'),
    import('../../adapters/log.js'),
  ]);
  const store = await RatingStore.open(cfg.storage.path, { readonly: true });
  try {
    const stored = fresh ? [] : await store.latest(meter);
    if (stored.length) return { source: 'stored', ratings: stored };
    const setup = loadRating(cfg.rating.file);
    const accounts = cfg.credit.accounts.filter((a) => !meter || a.meter === meter).map((a) => ({ meter: a.meter, customer: a.customer, contract: a.customerClass, creditUnit: a.creditUnit }));
    const service = new RatingService({
      store,
      rules: setup.rules,
      templates: setup.templates,
      gatewayId: cfg.gateway.id,
      zone: cfg.gateway.timezone,
      clock: systemClock,
      log: createLogger({ level: 'warn', gateway: cfg.gateway.id }),
      accounts: () => accounts,
      subunitsPerUnit: () => 1,
      event: () => undefined,
      audit: async () => undefined,
      dryRun: true,
    });
    // From the start of the ledger, not from the service's stored cursor.
    return { source: 'computed', ratings: await service.regrade() };
  } finally {
    await store.close();
  }
}

export function ratingCommand(o: { config: string; meter?: string; json?: boolean; now?: boolean }): Promise<void> {
  return guarded(async () => {
    const { source, ratings: list } = await ratings(o.config, o.meter, o.now === true);
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ source, ratings: list }, null, 2)}\n`);
      return;
    }
    if (list.length === 0) {
      process.stdout.write('no accounts rated\n');
      return;
    }
    const rows = list.map((r) => [r.meter, String(r.score), r.grade, r.band, String(r.monthlyUse), new Date(r.ts).toISOString()]);
    const head = ['meter', 'score', 'class', 'band', 'use-30d', 'rated at'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    const out = [`ratings (${source === 'stored' ? 'stored by the last daily pass' : 'computed now from the ledger'}):`, line(head)];
    for (const [i, r] of list.entries()) {
      out.push(line(rows[i]!));
      for (const f of explain(r)) out.push(`    ${f}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
