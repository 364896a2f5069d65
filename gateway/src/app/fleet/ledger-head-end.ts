/**
 * The reference head-end consumer of the ledger stream (docs/mqtt.md#ledger): one subscriber to
 * `{prefix}/+/ledger`, one rebuild per gateway from the entries alone (core/ledger/rebuild.ts:
 * seq order, duplicates counted once, holes reported), compared at the end with each gateway's own
 * balances (read from its ledger after it stopped).
 */
import type { MqttClient } from 'mqtt';
import { connectSubscriber } from './subscriber.js';
import { LedgerRebuild, type BalanceMismatch } from '../../core/ledger/rebuild.js';
import { parseLedgerMessage } from '../../core/ledger/stream.js';

export interface LedgerCheck {
  gateways: number;
  /** Entries in the gateways' ledgers at the end. */
  entries: number;
  /** Entries applied by the head end (each seq once), and messages dropped as duplicates' entries. */
  applied: number;
  duplicates: number;
  /** Missing seqs below the highest received, and entries of the ledgers never received. */
  gaps: number;
  missing: number;
  malformed: number;
  /** Accounts whose rebuilt balance differs from the gateway's (first 20 named). */
  mismatches: number;
  firstMismatches: Array<BalanceMismatch & { gatewayId: string }>;
  /** Entries whose balanceAfter disagreed with the rebuild. */
  breaks: number;
  ok: boolean;
}

/** What one gateway's ledger held at the end. */
export interface GatewayLedger {
  id: string;
  entries: number;
  balances: Record<string, number>;
}

export class LedgerHeadEnd {
  private client: MqttClient | undefined;
  private readonly rebuilds = new Map<string, LedgerRebuild>();
  private malformed = 0;

  constructor(
    private readonly gatewayIds: ReadonlySet<string>,
    private readonly prefix: string,
  ) {}

  async connect(url: string, clientId: string): Promise<void> {
    this.client = await connectSubscriber(url, clientId, `${this.prefix}/+/ledger`, (topic, payload) => this.onMessage(topic, payload));
  }

  onMessage(topic: string, payload: Buffer): void {
    const gw = topic.slice(this.prefix.length + 1).split('/')[0]!;
    if (!this.gatewayIds.has(gw)) return;
    const p = parseLedgerMessage(payload.toString('utf8'));
    if (!p.ok) {
      this.malformed++;
      return;
    }
    let r = this.rebuilds.get(gw);
    if (!r) this.rebuilds.set(gw, (r = new LedgerRebuild()));
    r.accept(p.message.entries);
  }

  /** The highest seq applied for a gateway (0 before any). */
  lastSeq(gw: string): number {
    return this.rebuilds.get(gw)?.lastSeq() ?? 0;
  }

  check(ledgers: readonly GatewayLedger[]): LedgerCheck {
    const c: LedgerCheck = { gateways: ledgers.length, entries: 0, applied: 0, duplicates: 0, gaps: 0, missing: 0, malformed: this.malformed, mismatches: 0, firstMismatches: [], breaks: 0, ok: false };
    for (const l of ledgers) {
      const r = this.rebuilds.get(l.id) ?? new LedgerRebuild();
      const s = r.summary();
      c.entries += l.entries;
      c.applied += s.applied;
      c.duplicates += s.duplicates;
      c.gaps += s.gaps.reduce((n, [a, b]) => n + b - a + 1, 0);
      c.missing += Math.max(0, l.entries - s.lastSeq);
      c.breaks += r.breakTotal();
      const mm = r.compare(new Map(Object.entries(l.balances)));
      c.mismatches += mm.length;
      for (const m of mm) if (c.firstMismatches.length < 20) c.firstMismatches.push({ ...m, gatewayId: l.id });
    }
    c.ok = c.gaps === 0 && c.missing === 0 && c.mismatches === 0 && c.breaks === 0 && c.malformed === 0;
    return c;
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
  }
}
