/**
 * The rating at work in a gateway: it folds new ledger entries and audit rows into each account's
 * facts (every `reminders.checkEveryMs`), queues reminders (top-up receipts, days left from the
 * account's own forecast, arrears; disconnection notices from the policy's event), and once a day
 * (`regradeEveryMs`) rates and grades every account: scores stored, grade changes audited and
 * forwarded as events, the account moved to its band's policy.
 *
 * Pure parts: core/rating. This file only reads, writes and schedules (injected clock).
 */
import { every, type Clock } from '@prepaid-edge/protocols';
import type { NewEvent } from '../../core/model.js';
import {
  balanceReminders,
  dailyCharges,
  disconnectNotice,
  foldAudit,
  foldEntry,
  halfLifeMs,
  initialReminderState,
  newFacts,
  rate,
  render,
  topUpReceipt,
  utcDay,
  type Band,
  type Rating,
  type RatingRules,
  type Reminder,
  type Templates,
} from '../../core/rating/index.js';
import type { Logger } from '../log.js';
import type { AccountWork, Notification, RatingStore } from './rating-store.js';

export interface RatedAccount {
  meter: string;
  customer: string;
  /** The account's customer class in the credit config: its contract. */
  contract: string;
  creditUnit: 'currency' | 'energy';
  currency?: string;
}

export interface RatingServiceDeps {
  store: RatingStore;
  rules: RatingRules;
  templates: Record<string, Templates>;
  gatewayId: string;
  zone: string;
  clock: Clock;
  log: Logger;
  accounts: () => readonly RatedAccount[];
  subunitsPerUnit: (meter: string) => number;
  event: (e: NewEvent) => void;
  /** An audit row in the ledger (grade changes). */
  audit: (a: { ts: number; meter: string; action: string; cause: string; detail: Record<string, unknown> }) => Promise<void>;
  /** Move the account to its band's policy (the credit engine); absent offline. */
  setBand?: (meter: string, band: string, b: Band) => Promise<void>;
  /** New reminders were queued (wake the webhook). */
  queued?: () => void;
  /** Compute only: nothing stored, audited or forwarded (the CLI on a database it does not own). */
  dryRun?: boolean;
}

const CHUNK = 20_000;
/**
 * A top-up older than this when first folded gets no receipt: the first start on a ledger with
 * history would otherwise send one for every top-up ever booked.
 */
export const RECEIPT_MAX_AGE_MS = 86_400_000;
/**
 * Facts and the cursor are written at most this often (and at the daily pass, at stop, and with
 * every reminder for its account): writing 10,000 accounts' facts every minute would double what
 * the ledger writes to the SD card. A crash re-folds the rows since the last write.
 */
export const PERSIST_EVERY_MS = 3_600_000;

export class RatingService {
  private work = new Map<string, AccountWork>();
  private cursor = { entry: 0, audit: 0 };
  private last = new Map<string, Rating>();
  private stops: Array<() => void> = [];
  /** Accounts folded since the cursor was last written. */
  private readonly dirty = new Set<string>();
  private persistedAt = 0;
  /** UTC day of the last reminder check (every account is looked at on a new day). */
  private checkedDay = -1;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly hl: number;

  constructor(private readonly deps: RatingServiceDeps) {
    this.hl = halfLifeMs(deps.rules.score);
  }

  async load(): Promise<void> {
    this.persistedAt = this.deps.clock.monotonic();
    this.work = await this.deps.store.accounts();
    this.cursor = await this.deps.store.cursor();
    this.last = new Map((await this.deps.store.latest()).map((r) => [r.meter, r]));
  }

  /** The latest rating of each account (in memory, as stored). */
  ratings(): Rating[] {
    return [...this.last.values()];
  }

  /** Load, catch up (a rating now when the last is older than a day), then on schedule. */
  async start(): Promise<void> {
    await this.load();
    const { clock, rules } = this.deps;
    const newest = Math.max(0, ...[...this.last.values()].map((r) => r.ts));
    await (clock.now() - newest >= rules.regradeEveryMs ? this.regrade() : this.check());
    this.stops.push(every(clock, rules.reminders.checkEveryMs, () => void this.check().catch((e: Error) => this.deps.log.error({ err: e.message }, 'reminder check failed')), { unref: true }));
    this.stops.push(every(clock, rules.regradeEveryMs, () => void this.regrade().catch((e: Error) => this.deps.log.error({ err: e.message }, 'rating pass failed')), { unref: true }));
  }

  async stop(): Promise<void> {
    for (const s of this.stops) s();
    this.stops = [];
    await this.tail.catch(() => undefined);
    if (this.dirty.size && !this.deps.dryRun) await this.serial(() => this.persist(this.deps.clock.now(), new Set(), [], [], true)).catch((e: Error) => this.deps.log.error({ err: e.message }, 'could not store the rating facts'));
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const p = this.tail.then(job, job);
    this.tail = p.catch(() => undefined);
    return p;
  }

  private workFor(meter: string, ts: number): AccountWork {
    let w = this.work.get(meter);
    if (!w) {
      w = { facts: newFacts(ts), reminders: initialReminderState() };
      this.work.set(meter, w);
    }
    return w;
  }

  /** Fold everything new in the ledger; top-up receipts for the new top-ups. */
  private async fold(touched: Set<string>, reminders: Reminder[]): Promise<void> {
    const { store } = this.deps;
    const receiptsFrom = this.deps.clock.now() - RECEIPT_MAX_AGE_MS;
    const auditUpto = await store.maxAuditId();
    for (;;) {
      const entries = await store.entriesAfter(this.cursor.entry, CHUNK);
      const lastTs = entries.at(-1)?.ts ?? Infinity;
      // Audit rows up to the last entry's time go in first, in time order with the entries.
      // (a prefix in id order, so the audit cursor never passes a row left for the next chunk).
      const read = this.cursor.audit < auditUpto ? await store.auditAfter(this.cursor.audit, CHUNK) : [];
      const stop = read.findIndex((a) => a.id > auditUpto || (entries.length === CHUNK && a.ts > lastTs));
      const audit = stop < 0 ? read : read.slice(0, stop);
      if (entries.length === 0 && audit.length === 0) return;
      let j = 0;
      for (const e of entries) {
        while (j < audit.length && audit[j]!.ts < e.ts) this.foldAuditRow(audit[j++]!, touched);
        const w = this.workFor(e.meter, e.ts);
        foldEntry(w.facts, e, this.hl);
        touched.add(e.meter);
        if (e.kind === 'topup' && e.ts >= receiptsFrom) reminders.push(topUpReceipt(e.meter, e.id, e.ts, e.amount, e.balanceAfter));
        this.cursor.entry = e.id;
      }
      while (j < audit.length) this.foldAuditRow(audit[j++]!, touched);
      if (entries.length < CHUNK && read.length < CHUNK) return;
    }
  }

  private foldAuditRow(a: Parameters<typeof foldAudit>[1], touched: Set<string>): void {
    foldAudit(this.workFor(a.meter, a.ts).facts, a, this.hl);
    touched.add(a.meter);
    this.cursor.audit = a.id;
  }

  private bandOf(meter: string): Band {
    const name = this.last.get(meter)?.band ?? this.deps.rules.classes.at(-1)!.band;
    return this.deps.rules.bands[name]!;
  }

  /** Fold, then the balance reminders of every configured account; one transaction. */
  check(): Promise<Reminder[]> {
    return this.serial(async () => {
      const now = this.deps.clock.now();
      const reminders: Reminder[] = [];
      const folded = new Set<string>();
      await this.fold(folded, reminders);
      for (const m of folded) this.dirty.add(m);
      // A forecast changes with the account's rows or with the day: all accounts once a day, else the folded ones.
      const day = utcDay(now);
      const all = day !== this.checkedDay;
      this.checkedDay = day;
      // Accounts whose reminder state changed: written now, with their reminders.
      const touched = new Set(reminders.map((r) => r.meter));
      for (const a of this.deps.accounts()) {
        if (!all && !folded.has(a.meter)) continue;
        const w = this.work.get(a.meter);
        if (!w) continue;
        const r = balanceReminders({ meter: a.meter, balance: w.facts.balance, daily: dailyCharges(w.facts, now, 7), band: this.bandOf(a.meter), now }, w.reminders);
        if (r.reminders.length || r.state.daysLeftSent !== w.reminders.daysLeftSent || r.state.arrearsDay !== w.reminders.arrearsDay) {
          w.reminders = r.state;
          touched.add(a.meter);
          reminders.push(...r.reminders);
        }
      }
      await this.persist(now, touched, [], reminders, this.deps.clock.monotonic() - this.persistedAt >= PERSIST_EVERY_MS);
      return reminders;
    });
  }

  /** The daily pass: fold, rate and grade every configured account, store, audit, forward, move bands. */
  regrade(): Promise<Rating[]> {
    const job = async (): Promise<Rating[]> => {
      const now = this.deps.clock.now();
      const reminders: Reminder[] = [];
      await this.fold(this.dirty, reminders);
      const ratings: Rating[] = [];
      const changed: Array<{ a: RatedAccount; from: Rating | undefined; to: Rating }> = [];
      for (const a of this.deps.accounts()) {
        const w = this.workFor(a.meter, now);
        const r = rate(a.meter, a.contract, w.facts, this.deps.rules, now);
        ratings.push(r);
        const before = this.last.get(a.meter);
        if (!before || before.score !== r.score || before.grade !== r.grade) changed.push({ a, from: before, to: r });
        this.last.set(a.meter, r);
      }
      if (this.deps.dryRun) return ratings;
      await this.persist(now, new Set(reminders.map((r) => r.meter)), ratings, reminders, true);
      for (const { a, from, to } of changed) await this.forward(a, from, to);
      return ratings;
    };
    return this.serial(job);
  }

  private async forward(a: RatedAccount, from: Rating | undefined, to: Rating): Promise<void> {
    const { event, audit, setBand, rules, log } = this.deps;
    event({ ts: to.ts, type: 'credit-rating', meter: a.meter, data: { score: to.score, grade: to.grade, band: to.band, monthlyUse: to.monthlyUse, factors: to.factors.filter((f) => f.points !== 0).map((f) => ({ factor: f.factor, points: f.points })) } });
    if (from?.grade === to.grade && from.band === to.band) return;
    const detail = { from: from?.grade ?? null, to: to.grade, fromBand: from?.band ?? null, band: to.band, score: to.score, policy: rules.bands[to.band]!.policy };
    await audit({ ts: to.ts, meter: a.meter, action: 'customer-grade', cause: 'rating', detail });
    event({ ts: to.ts, type: 'customer-grade-changed', meter: a.meter, data: detail });
    if (setBand && from?.band !== to.band) await setBand(a.meter, to.band, rules.bands[to.band]!).catch((e: Error) => log.error({ meter: a.meter, err: e.message }, 'could not move the account to its band'));
  }

  /** A disconnection notice from the policy's `disconnect-scheduled` event. */
  onEvent(e: NewEvent): void {
    if (e.type !== 'disconnect-scheduled' || !e.meter || typeof e.data?.at !== 'number') return;
    const r = disconnectNotice(e.meter, e.ts, e.data.at, Number(e.data.balance ?? 0), String(e.data.reason ?? ''));
    void this.serial(async () => {
      await this.deps.store.enqueue(this.notifications([r]));
      this.announce([r]);
    }).catch((err: Error) => this.deps.log.error({ meter: e.meter, err: err.message }, 'could not queue the disconnection notice'));
  }

  /**
   * Write `touched` accounts (facts and reminder state), the ratings and the reminders in one
   * transaction; with `full`, also every account folded since the last full write and the cursor.
   */
  private async persist(now: number, touched: ReadonlySet<string>, ratings: Rating[], reminders: Reminder[], full: boolean): Promise<void> {
    if (this.deps.dryRun) return;
    const meters = full ? new Set([...touched, ...this.dirty]) : touched;
    const accounts = new Map([...meters].filter((m) => this.work.has(m)).map((m) => [m, this.work.get(m)!]));
    if (accounts.size === 0 && ratings.length === 0 && reminders.length === 0 && !full) return;
    await this.deps.store.save({ ...(full ? { cursor: { ...this.cursor } } : {}), accounts, ratings, notifications: this.notifications(reminders), now });
    if (full) {
      this.dirty.clear();
      this.persistedAt = this.deps.clock.monotonic();
    }
    this.announce(reminders);
  }

  private announce(reminders: readonly Reminder[]): void {
    for (const r of reminders) this.deps.event({ ts: r.ts, type: 'reminder', meter: r.meter, data: { id: this.idOf(r), kind: r.kind, ...r.data } });
    if (reminders.length) this.deps.queued?.();
  }

  private idOf(r: Reminder): string {
    return `${this.deps.gatewayId}/${r.meter}/${r.key}`;
  }

  /** Rendered in the customer's language; only configured accounts get messages. */
  notifications(reminders: readonly Reminder[]): Array<Pick<Notification, 'id' | 'meter' | 'kind' | 'createdAt' | 'payload'>> {
    const { rules, templates, zone, gatewayId } = this.deps;
    const byMeter = new Map(this.deps.accounts().map((a) => [a.meter, a]));
    const out: Array<Pick<Notification, 'id' | 'meter' | 'kind' | 'createdAt' | 'payload'>> = [];
    for (const r of reminders) {
      const a = byMeter.get(r.meter);
      if (!a) continue;
      const language = rules.reminders.languages[r.meter] ?? rules.reminders.language;
      const unit = a.creditUnit === 'energy' ? 'Wh' : a.currency ?? '';
      const text = render(templates[language]!, r, { subunitsPerUnit: a.creditUnit === 'energy' ? 1 : this.deps.subunitsPerUnit(r.meter), unit, zone });
      const id = this.idOf(r);
      out.push({ id, meter: r.meter, kind: r.kind, createdAt: r.ts, payload: { id, type: 'reminder', kind: r.kind, gateway: gatewayId, meter: r.meter, customer: a.customer, language, text, data: r.data, ts: r.ts } });
    }
    return out;
  }
}
