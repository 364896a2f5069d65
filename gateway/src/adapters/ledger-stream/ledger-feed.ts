/**
 * Forwards the ledger over MQTT (docs/mqtt.md#ledger): every entry, of every kind, in id order with
 * its per-gateway seq, QoS 1, store and forward like readings.
 *
 * - The ledger is the queue: entries are read after the cursor, `batchSize` per message, at most
 *   `inflight` messages awaiting a PUBACK (that window paces the replay after an outage).
 * - The delivered cursor moves only over the acknowledged prefix, and is saved in the ledger file
 *   when nothing is in flight any more, every SAVE_EVERY entries, and at stop. After a crash the
 *   entries after the saved cursor go again with the same seqs: the head end drops them as duplicates.
 * - Nothing is published while disconnected; on a reconnect reading starts again at the delivered
 *   cursor, so what was in flight when the connection dropped goes again.
 * - Woken `lingerMs` after the ledger's commits (and, for writers on another connection, every `pollMs`).
 */
import type { Clock, TimerHandle } from '@prepaid-edge/protocols';
import { every } from '@prepaid-edge/protocols';
import { cursorAfter, ledgerPayload, type StreamCursor, type StreamEntry } from '../../core/ledger/stream.js';
import type { Logger } from '../log.js';
import type { Uplink } from '../uplink/index.js';
import { FoldedRun } from '../../core/flow/folded-run.js';

/** What the feed needs of the ledger (store/ledger). */
export interface StreamLedger {
  streamCursor(): Promise<StreamCursor>;
  streamAfter(cursor: StreamCursor, limit: number): Promise<StreamEntry[]>;
  streamDelivered(cursor: StreamCursor): Promise<void>;
  onCommit(listener: () => void): () => void;
}

/** What the feed needs of the uplink: its connection and a QoS 1 publish resolved at PUBACK. */
export interface StreamPublisher {
  connected(): boolean;
  /** true at PUBACK; false when not connected or the publish failed. */
  publish(topic: string, payload: string): Promise<boolean>;
  on(event: 'connected' | 'disconnected', listener: () => void): unknown;
  off(event: 'connected' | 'disconnected', listener: () => void): unknown;
}

/** The JSON uplink as the feed's publisher: its connection, its events, QoS 1 publishes acknowledged by PUBACK. */
export function uplinkPublisher(uplink: Pick<Uplink, 'state' | 'publishAcked' | 'on' | 'off'>): StreamPublisher {
  return {
    connected: () => uplink.state().connected,
    publish: (topic, payload) => uplink.publishAcked(topic, payload),
    on: (event, listener) => uplink.on(event, listener),
    off: (event, listener) => uplink.off(event, listener),
  };
}

export interface LedgerFeedOptions {
  ledger: StreamLedger;
  publisher: StreamPublisher;
  gatewayId: string;
  topic: string;
  /** Entries per message (mqtt.batchSize). */
  batchSize: number;
  /** Messages awaiting a PUBACK at most (mqtt.inflight). */
  inflight: number;
  clock: Clock;
  log: Logger;
  /** Look for entries written by another connection this often (ms, default 5000); a technician's offline command runs only while the gateway is stopped, and is read from the cursor at the next start anyway. */
  pollMs?: number;
  /** stop() waits this long at most for what is in flight and pending (ms, default 5000). */
  stopTimeoutMs?: number;
  /**
   * After a commit, read this much later (ms, default 25): the postings of a charging burst commit
   * one after another on the ledger's one connection, and a read between each of them would delay
   * the next (bench ledger-stream); one read after the burst takes them all.
   */
  lingerMs?: number;
}

export interface LedgerFeedState {
  /** The acknowledged prefix: every seq up to `delivered.seq` has a PUBACK. */
  delivered: StreamCursor;
  inflight: number;
  /** Entries acknowledged since start. */
  published: number;
}

/** The delivered cursor is saved when nothing is in flight, or once it moved this many entries. */
const SAVE_EVERY = 2000;
/** A publish refused on a connection that stays up: the session starts over from the cursor after this long. */
const RETRY_MS = 1000;

export class LedgerFeed {
  private session = 0;
  private live = false;
  private stopping = false;
  /** The last entry read and sent in this session. */
  private readPos: StreamCursor = { entry: 0, seq: 0 };
  private delivered: StreamCursor = { entry: 0, seq: 0 };
  private saved: StreamCursor = { entry: 0, seq: 0 };
  /** Messages of this session in seq order, not yet all acknowledged: the head holds the cursor back. */
  private track: Array<{ upTo: StreamCursor; done: boolean }> = [];
  private inflight = 0;
  private published = 0;
  private readonly pumpRun = new FoldedRun(() => this.fill(this.session), {
    more: () => this.live,
    onError: (e) => this.log.error({ err: (e as Error).message, code: (e as { code?: unknown }).code }, 'cannot read the ledger; retrying on the next commit or poll'),
    onIdle: () => this.wakeIdle(),
  });
  private saving: Promise<void> = Promise.resolve();
  private readonly cleanups: Array<() => void> = [];
  private readonly idleWaiters = new Set<() => void>();
  private lingerTimer: TimerHandle | undefined;
  private stopped: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly o: LedgerFeedOptions) {
    this.log = o.log.child({ part: 'ledger-stream' });
  }

  async start(): Promise<void> {
    this.delivered = this.saved = this.readPos = await this.o.ledger.streamCursor();
    const onConnected = () => this.beginSession();
    const onDisconnected = () => this.endSession();
    this.o.publisher.on('connected', onConnected);
    this.o.publisher.on('disconnected', onDisconnected);
    this.cleanups.push(
      () => this.o.publisher.off('connected', onConnected),
      () => this.o.publisher.off('disconnected', onDisconnected),
      this.o.ledger.onCommit(() => this.soon()),
      () => this.o.clock.clearTimeout(this.lingerTimer),
      every(this.o.clock, this.o.pollMs ?? 5000, () => this.pump(), { unref: true }),
    );
    if (this.o.publisher.connected()) this.beginSession();
  }

  state(): LedgerFeedState {
    return { delivered: { ...this.delivered }, inflight: this.inflight, published: this.published };
  }

  /** Send what is pending (up to stopTimeoutMs while connected), save the cursor, stop listening. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    if (this.live) await this.drained(this.o.stopTimeoutMs ?? 5000);
    this.stopping = true;
    for (const c of this.cleanups.splice(0)) c();
    this.endSession();
    this.advance(true);
    await this.saving;
  }

  private beginSession(): void {
    // Already live: the uplink reported connected before its 'connected' event of the same connection.
    if (this.stopping || this.live) return;
    this.session++;
    this.live = true;
    this.readPos = this.delivered;
    this.track = [];
    this.inflight = 0;
    this.pump();
  }

  private endSession(): void {
    this.session++;
    this.live = false;
    this.inflight = 0;
    this.track = [];
    this.wakeIdle();
  }

  private soon(): void {
    if (this.lingerTimer || !this.live) return;
    this.lingerTimer = this.o.clock.setTimeout(() => {
      this.lingerTimer = undefined;
      this.pump();
    }, this.o.lingerMs ?? 25);
  }

  pump(): void {
    if (!this.live || this.stopping) return;
    this.pumpRun.trigger();
  }

  private async fill(session: number): Promise<void> {
    while (session === this.session && this.live && this.inflight < this.o.inflight) {
      const entries = await this.o.ledger.streamAfter(this.readPos, Math.max(1, this.o.batchSize));
      if (session !== this.session || !this.live || entries.length === 0) return;
      const upTo = cursorAfter(this.readPos, entries);
      this.readPos = upTo;
      const item = { upTo, done: false };
      this.track.push(item);
      this.inflight++;
      void this.o.publisher.publish(this.o.topic, ledgerPayload(this.o.gatewayId, entries)).then((ok) => {
        if (session !== this.session) return;
        this.inflight--;
        if (!ok) {
          // Usually the connection is going (its end resets the session). If it stays up, start
          // over from the delivered cursor a little later, so nothing is left behind a hole.
          if (this.live) this.o.clock.setTimeout(() => session === this.session && this.live && (this.endSession(), this.beginSession()), RETRY_MS, { unref: true });
          return;
        }
        item.done = true;
        this.published += entries.length;
        this.advance(false);
        this.pump();
      });
    }
  }

  /** Move the delivered cursor over the acknowledged prefix; save it when idle, every SAVE_EVERY, or now. */
  private advance(now: boolean): void {
    let i = 0;
    while (i < this.track.length && this.track[i]!.done) this.delivered = this.track[i++]!.upTo;
    if (i > 0) this.track.splice(0, i);
    this.wakeIdle();
    if (this.delivered.seq <= this.saved.seq) return;
    if (!now && this.track.length > 0 && this.delivered.seq - this.saved.seq < SAVE_EVERY) return;
    const c = (this.saved = this.delivered);
    this.saving = this.saving.then(() =>
      this.o.ledger.streamDelivered(c).catch((e: Error & { code?: string }) => this.log.error({ err: e.message, code: e.code }, 'cannot save the ledger stream cursor; those entries go again')),
    );
  }

  /** Resolves when nothing is in flight and a read found nothing more, the session ended, or after `ms`. */
  private drained(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.o.clock.setTimeout(done, ms);
      const check = () => {
        if (!this.live || (this.inflight === 0 && !this.pumpRun.busy)) done();
      };
      const self = this;
      function done(): void {
        self.o.clock.clearTimeout(timer);
        self.idleWaiters.delete(check);
        resolve();
      }
      this.idleWaiters.add(check);
      this.pump();
      check();
    });
  }

  private wakeIdle(): void {
    for (const w of [...this.idleWaiters]) w();
  }
}
