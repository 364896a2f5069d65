/**
 * Charging: every good reading (already committed to the outbox) is decided for its account and
 * carried out; a confirmed counter reset makes the next reading a new baseline. A clean stop books
 * what was priced but not yet booked (a crash would leave it to the next reading).
 */
import type { NewEvent, NewReading } from '../../core/model.js';
import type { Logger } from '../log.js';
import type { AccountMemory } from './account-memory.js';
import type { CreditDesk } from './credit-desk.js';

export class Charging {
  private stopped = false;

  constructor(
    private readonly desk: CreditDesk,
    private readonly memory: AccountMemory,
    private readonly has: (meter: string) => boolean,
    private readonly log: Logger,
  ) {}

  /** Acquisition events: a confirmed counter reset means the next reading is a new baseline. */
  onEvent(e: NewEvent): void {
    if (e.meter && e.type === 'counter-reset' && this.has(e.meter) && !this.memory.takeSwap(e.meter, e.data?.to, e.ts)) this.memory.markReset(e.meter);
  }

  /** Resolves when the reading is charged and enforced. */
  onReading(r: NewReading): Promise<void> {
    if (!this.has(r.meter) || this.stopped) return Promise.resolve();
    return this.desk.run(r.meter, { kind: 'reading', ts: r.ts, values: r.values }, false).then(
      () => undefined,
      (e: Error & { code?: string }) => this.log.error({ meter: r.meter, code: e.code, err: e.message }, 'could not charge reading'),
    );
  }

  /** Book the pending charges and cursors, without the rules (no relay can be driven any more). */
  async stop(): Promise<void> {
    await Promise.all(
      this.memory.pendingMeters().map((meter) =>
        this.desk.run(meter, { kind: 'shutdown' }, false).catch((e: Error) => this.log.error({ meter, err: e.message }, 'could not book pending charges at stop')),
      ),
    );
    this.stopped = true;
  }
}
