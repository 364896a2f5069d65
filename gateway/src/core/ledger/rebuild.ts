/**
 * A head end's rebuild of one gateway's balances from its ledger stream alone (docs/mqtt.md#ledger).
 * Entries are applied strictly in seq order: a seq seen before is a duplicate (QoS 1 redelivery,
 * a resend after a lost PUBACK or a restart) and counts once; an entry beyond a hole waits until
 * the hole is filled, so a balance is never built over a missing entry. Each applied entry's
 * `balanceAfter` must equal the rebuilt balance: the gateway's running sum and ours agree entry by entry.
 */
import type { StreamEntryJson } from './stream.js';

export interface RebuildBreak {
  seq: number;
  meter: string;
  /** The gateway's balanceAfter, and the sum of the amounts received for that meter. */
  stated: number;
  rebuilt: number;
}

export interface BalanceMismatch {
  meter: string;
  /** The gateway's balance (its ledger or its credit topic) and the rebuild; rebuilt null: no entry of that meter arrived. */
  gateway: number;
  rebuilt: number | null;
}

export interface RebuildSummary {
  /** Entries applied (each seq once). */
  applied: number;
  /** The highest seq applied; every seq 1..lastSeq has been applied. */
  lastSeq: number;
  duplicates: number;
  /** Seq ranges [from, to] missing below the highest seq received. */
  gaps: Array<[number, number]>;
  /** Entries waiting beyond a gap. */
  held: number;
  breaks: RebuildBreak[];
}

const MAX_BREAKS = 100;

export class LedgerRebuild {
  private next = 1;
  private readonly held = new Map<number, StreamEntryJson>();
  private readonly balance = new Map<string, number>();
  private readonly breaks: RebuildBreak[] = [];
  private breakCount = 0;
  private duplicates = 0;
  private applied = 0;
  private highest = 0;

  /** Take the entries of one message (any order; seqs before the next expected are duplicates). */
  accept(entries: readonly StreamEntryJson[]): void {
    for (const e of entries) {
      this.highest = Math.max(this.highest, e.seq);
      if (e.seq < this.next || this.held.has(e.seq)) {
        this.duplicates++;
        continue;
      }
      if (e.seq > this.next) {
        this.held.set(e.seq, e);
        continue;
      }
      this.apply(e);
      for (let h = this.held.get(this.next); h; h = this.held.get(this.next)) {
        this.held.delete(h.seq);
        this.apply(h);
      }
    }
  }

  private apply(e: StreamEntryJson): void {
    const b = (this.balance.get(e.meter) ?? 0) + e.amount;
    this.balance.set(e.meter, b);
    if (b !== e.balanceAfter) {
      this.breakCount++;
      if (this.breaks.length < MAX_BREAKS) this.breaks.push({ seq: e.seq, meter: e.meter, stated: e.balanceAfter, rebuilt: b });
    }
    this.applied++;
    this.next = e.seq + 1;
  }

  /** Rebuilt balance of every meter heard of. */
  balances(): Map<string, number> {
    return new Map(this.balance);
  }

  lastSeq(): number {
    return this.next - 1;
  }

  /** Meters whose gateway balance differs from the rebuild (a meter with balance 0 and no entry agrees). */
  compare(gateway: ReadonlyMap<string, number>): BalanceMismatch[] {
    const out: BalanceMismatch[] = [];
    for (const [meter, g] of gateway) {
      const r = this.balance.get(meter);
      if ((r ?? 0) !== g) out.push({ meter, gateway: g, rebuilt: r ?? null });
    }
    for (const [meter, r] of this.balance) if (!gateway.has(meter)) out.push({ meter, gateway: 0, rebuilt: r });
    return out;
  }

  summary(): RebuildSummary {
    const gaps: Array<[number, number]> = [];
    let from = this.next;
    for (const s of [...this.held.keys()].sort((a, b) => a - b)) {
      if (s > from) gaps.push([from, s - 1]);
      from = s + 1;
    }
    return { applied: this.applied, lastSeq: this.lastSeq(), duplicates: this.duplicates, gaps, held: this.held.size, breaks: [...this.breaks] };
  }

  /** Entries whose balanceAfter disagreed with the rebuild (all of them, even past the first MAX_BREAKS kept). */
  breakTotal(): number {
    return this.breakCount;
  }

  /** The highest seq received, applied or not. */
  highestSeq(): number {
    return this.highest;
  }
}
