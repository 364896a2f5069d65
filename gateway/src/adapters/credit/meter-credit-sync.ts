/**
 * Defence in depth for `prepaid` meters: after each ledger change the gateway writes the meter's
 * own credit registers (balance, warning levels, the backup disconnect threshold), so a meter that
 * loses its gateway still cuts off no earlier and no later than the gateway would have. A kWh token
 * typed on the meter's keypad shows up as a threshold higher than the one written; it is booked
 * before the meter is written again.
 */
import type { Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import type { CommandOutcome } from '../../core/credit/contracts.js';
import type { MeterCreditView } from '../../core/credit/decision.js';
import type { Acquisition } from '../acquisition/index.js';
import type { Logger } from '../log.js';
import type { NewEvent, NewReading } from '../../core/model.js';
import { meterEventData } from '../../core/meter-events/index.js';
import { walkPrepaidEventLog } from '../meter-events/index.js';
import {
  backupThresholdWh,
  GATEWAY_MESSAGE,
  isRevision2,
  readTokenCredit,
  syncPrepaidMeter,
  worstCasePricePerKwh,
  writeGatewayMessage,
  writeTokenCreditBooked,
  type PrepaidCreditValues,
} from '../relay/index.js';
import type { Ledger } from '../store/ledger/index.js';

/** The backup threshold the gateway last wrote to a prepaid meter, and when (ledger setting). */
interface WrittenThreshold {
  threshold: number;
  at: number;
}

export interface MeterCreditSyncDeps {
  config: GatewayConfig;
  acquisition: Acquisition;
  ledger: Pick<Ledger, 'setting' | 'saveSetting'>;
  clock: Clock;
  log: Logger;
  keypadToken: (meter: string, wh: number, id: string) => Promise<CommandOutcome>;
  /** Book credit found on a meter the gateway never wrote (sub-units, exactly once by `id`). */
  adoptCredit: (meter: string, amount: number, id: string, detail: Record<string, unknown>) => Promise<CommandOutcome>;
}

export class MeterCreditSync {
  private readonly lastSync = new Map<string, string>();
  private readonly written = new Map<string, WrittenThreshold | undefined>();
  /** Meters whose own credit is being (or was) booked at first sync in this run. */
  private readonly adopting = new Set<string>();
  /** Revision 2: the newest meter event seq seen per meter (from its uploaded log), and keypad tokens being booked. */
  private readonly seenSeq = new Map<string, number>();
  private readonly booking = new Map<string, number>();
  /** Revision 2 meters that may hold token credit not yet taken over (all of them until checked once in this run). */
  private readonly checked = new Set<string>();
  private readonly owed = new Set<string>();
  /** Revision 2 meters whose held log was offered again to the booking in this run (see takeOverTokenCredit). */
  private readonly replayed = new Set<string>();
  private readonly replaying = new Set<string>();

  constructor(private readonly deps: MeterCreditSyncDeps) {}

  /** Defence in depth for `prepaid` meters: balance, warnings and the backup disconnect threshold. */
  async sync(meter: string, view: MeterCreditView): Promise<void> {
    const cfg = this.deps.config.meters.find((m) => m.id === meter);
    if (!cfg || cfg.profile !== 'prepaid' || (cfg.relay && cfg.relay.type !== 'meter')) return;
    const bus = this.deps.acquisition.buses.get(cfg.bus);
    if (!bus || bus.config.type === 'dlt645') return;
    const latest = this.deps.acquisition.pollers.get(meter)?.latest;
    const rev2 = latest !== undefined && isRevision2(latest.values);
    // Revision 1 meters raise their threshold for a keypad token; revision 2 log it (onMeterEvent).
    if (!rev2 && (await this.keypadTokenSeen(meter))) return; // the top-up it queued writes the meter next
    if (await this.creditAdopted(meter, view)) return; // likewise
    const values = prepaidValues(view, this.deps.clock.now());
    const key = JSON.stringify(values);
    if (this.lastSync.get(meter) !== key) {
      await syncPrepaidMeter(bus.master, bus.queue, cfg.unit, values, { meter });
      this.lastSync.set(meter, key);
      await this.rememberThreshold(meter, values.backupDisconnectThreshold);
    }
    if (rev2 && (!this.checked.has(meter) || this.owed.has(meter))) await this.takeOverTokenCredit(meter);
  }

  /**
   * Revision 2: each keypad token is event 19 in the meter's log, booked once by its seq
   * (`keypad:<meter>:event:<seq>`) when the log upload brings it; refused ones put the reason on
   * the meter's display. Every meter event seen is remembered, so the take-over knows which
   * tokens the gateway has dealt with.
   */
  onMeterEvent(e: NewEvent): void {
    const meter = e.meter;
    if (e.type !== 'meter-event' || !meter || typeof e.data?.seq !== 'number') return;
    const seq = e.data.seq;
    if (seq > (this.seenSeq.get(meter) ?? 0)) this.seenSeq.set(meter, seq);
    if (e.data.kind !== 'token-credit' || typeof e.data.value !== 'number' || e.data.value <= 0) {
      if (this.owed.has(meter) && !this.replaying.has(meter)) void this.takeOverTokenCredit(meter).catch(() => undefined);
      return;
    }
    const wh = e.data.value;
    this.owed.add(meter);
    this.booking.set(meter, (this.booking.get(meter) ?? 0) + 1);
    void this.deps
      .keypadToken(meter, wh, `keypad:${meter}:event:${seq}`)
      .then(async (o) => {
        // A duplicate is a token offered again (after a restart): its message was shown when it was booked.
        if (o.status !== 'duplicate') await this.showMessage(meter, o.status === 'rejected' ? GATEWAY_MESSAGE.tokenRefusedNoTariff : GATEWAY_MESSAGE.tokenBooked);
      })
      .catch((err: Error & { code?: string }) => this.deps.log.error({ meter, code: err.code, err: err.message }, 'could not book a keypad token'))
      .finally(() => {
        this.booking.set(meter, this.booking.get(meter)! - 1);
        // Booked: its sync has written the threshold holding it (refused: nothing to hold).
        void this.takeOverTokenCredit(meter).catch(() => undefined);
      });
  }

  /** A good reading: the first of a revision 2 meter in this run looks for token credit not taken over. */
  onReading(r: NewReading): void {
    if (this.checked.has(r.meter) || !isRevision2(r.values)) return;
    this.checked.add(r.meter);
    void this.takeOverTokenCredit(r.meter).catch((err: Error & { code?: string }) => {
      this.checked.delete(r.meter);
      this.deps.log.warn({ meter: r.meter, code: err.code, err: err.message }, 'keypad token credit not checked; tried again at the next reading');
    });
  }

  /** The bus and unit of a revision 2 meter (by its latest reading), else undefined. */
  private rev2Port(meter: string): { bus: NonNullable<ReturnType<Acquisition['buses']['get']>>; unit: number } | undefined {
    const cfg = this.deps.config.meters.find((m) => m.id === meter);
    const bus = cfg && this.deps.acquisition.buses.get(cfg.bus);
    const latest = this.deps.acquisition.pollers.get(meter)?.latest;
    if (!cfg || !bus || cfg.unit === undefined || bus.config.type === 'dlt645' || !latest || !isRevision2(latest.values)) return undefined;
    return { bus, unit: cfg.unit };
  }

  /** Revision 2: put a message on the meter's display (holding 21); a failure is logged, not retried. */
  async showMessage(meter: string, code: number): Promise<void> {
    const p = this.rev2Port(meter);
    if (!p) return;
    await writeGatewayMessage(p.bus.master, p.bus.queue, p.unit, code).catch((err: Error & { code?: string }) =>
      this.deps.log.warn({ meter, code: err.code, err: err.message }, 'display message not written'),
    );
  }

  /**
   * Revision 2: once every token in the meter's tokenCreditTotal is one the gateway has booked or
   * refused (the eventCounter read with the total is no newer than the events seen, and no booking
   * is under way), it is marked taken over (tokenCreditBooked := total). The threshold written just
   * before already holds the booked credit, so the meter never lets less through than the ledger allows.
   */
  private async takeOverTokenCredit(meter: string): Promise<void> {
    const p = this.rev2Port(meter);
    if (!p || (this.booking.get(meter) ?? 0) > 0) return;
    const tc = await readTokenCredit(p.bus.master, p.bus.queue, p.unit);
    this.checked.add(meter);
    if (tc.totalWh <= tc.bookedWh) {
      this.owed.delete(meter);
      return;
    }
    this.owed.add(meter);
    if (!this.replayed.has(meter)) {
      // Credit not taken over at the first look in this run: a token event may have been stored by the
      // log upload but not booked (the gateway stopped in between). Every token the meter's log still
      // holds is offered again; the ledger answers those already booked `duplicate` (same id).
      this.replayed.add(meter);
      const w = await walkPrepaidEventLog(p.bus.master, p.bus.queue, p.unit, undefined);
      this.replaying.add(meter);
      for (const entry of w.entries) this.onMeterEvent({ ts: this.deps.clock.now(), type: 'meter-event', meter, data: meterEventData(entry) });
      this.replaying.delete(meter);
      if (w.counter > (this.seenSeq.get(meter) ?? 0)) this.seenSeq.set(meter, w.counter);
      if ((this.booking.get(meter) ?? 0) > 0) return; // each booking's end looks again
    }
    if (tc.eventCounter > (this.seenSeq.get(meter) ?? 0) || (this.booking.get(meter) ?? 0) > 0) return;
    await writeTokenCreditBooked(p.bus.master, p.bus.queue, p.unit, tc.totalWh);
    this.owed.delete(meter);
    this.deps.log.info({ meter, totalWh: tc.totalWh, wasBookedWh: tc.bookedWh }, 'keypad token credit taken over from the meter');
  }

  private async writtenThreshold(meter: string): Promise<WrittenThreshold | undefined> {
    if (!this.written.has(meter)) this.written.set(meter, (await this.deps.ledger.setting(`meter-threshold/${meter}`)) as WrittenThreshold | undefined);
    return this.written.get(meter);
  }

  private async rememberThreshold(meter: string, threshold: number): Promise<void> {
    const prev = await this.writtenThreshold(meter);
    if (prev?.threshold === threshold) return;
    const w = { threshold, at: this.deps.clock.now() };
    await this.deps.ledger.saveSetting(`meter-threshold/${meter}`, w, { ts: w.at, meter, action: 'meter-credit-sync', cause: 'backup disconnect threshold written', detail: { ...w } });
    this.written.set(meter, w);
  }

  /**
   * First sync: a meter this gateway never wrote may hold credit of its own (sold before the gateway
   * came, or kept standalone). It is booked once, as the account's credit, before the gateway's
   * balance is written over it: the meter's creditBalance at its creditDecimals, in the account's
   * sub-units (a fraction of a sub-unit is dropped and reported). Until the meter has been read
   * the gateway does not write it at all.
   */
  private async creditAdopted(meter: string, view: MeterCreditView): Promise<boolean> {
    if (this.adopting.has(meter) || (await this.writtenThreshold(meter))) return false;
    const latest = this.deps.acquisition.pollers.get(meter)?.latest;
    if (!latest) return true;
    const shown = latest.values.creditBalance;
    const decimals = latest.values.creditDecimals ?? 0;
    if (shown === undefined || shown <= 0) return false;
    const sub = view.tariff.at(-1)!.tariff.subunitsPerUnit;
    const exact = (shown * sub) / 10 ** decimals;
    const amount = Math.floor(exact);
    if (amount <= 0) return false;
    const id = `meter-credit:${meter}:first-sync`;
    const detail = { meterCredit: shown, creditDecimals: decimals, droppedSubunits: exact - amount };
    this.deps.log.warn({ meter, amount, ...detail }, 'credit found on the meter at first sync: booked before the meter is written');
    // Queued behind the decision that called this sync (not awaited: that would wait on itself); the
    // top-up's own sync then writes the meter. Booked once by its id, also if this runs again.
    this.adopting.add(meter);
    void this.deps.adoptCredit(meter, amount, id, detail).catch((e: Error & { code?: string }) => {
      this.adopting.delete(meter);
      this.deps.log.error({ meter, code: e.code, err: e.message }, 'could not book the credit found on the meter');
    });
    return true;
  }

  /**
   * An STS token typed on a prepaid meter's keypad raises the meter's backup threshold by its kWh
   * (firmware-ts). A reading taken after our last write that shows a higher threshold than we
   * wrote is such a token: it is booked once (its id is the meter's event counter and threshold)
   * before the gateway writes the meter again, so the customer's credit is never overwritten.
   */
  private async keypadTokenSeen(meter: string): Promise<boolean> {
    const latest = this.deps.acquisition.pollers.get(meter)?.latest;
    const prev = await this.writtenThreshold(meter);
    const shown = latest?.values.backupDisconnectThreshold;
    const energy = latest?.values.energyImport;
    if (!latest || !prev || shown === undefined || energy === undefined || latest.ts <= prev.at || shown <= prev.threshold) return false;
    // The firmware adds the token to the threshold, or to the present energy when it was off or reached.
    // Reached means the meter stopped at the threshold, so the energy then was the threshold: the
    // energy of this (later) reading may have run on past it on the token's own credit.
    const base = prev.threshold === 0 ? energy : prev.threshold;
    const tokenWh = shown - base;
    if (tokenWh <= 0) return false;
    // The id is the rise itself (from the threshold written at `at` to the one shown), so the same rise
    // seen again after a restart is the same token (the meter's event counter moves on meanwhile).
    const id = `keypad:${meter}:${prev.at}:${prev.threshold}:${shown}`;
    const seen = { threshold: shown, at: latest.ts };
    this.written.set(meter, seen);
    this.lastSync.delete(meter);
    void this.deps
      .keypadToken(meter, tokenWh, id)
      // Booked: the next rise counts from here, also after a restart (not persisted before: a booking
      // that failed is seen again).
      .then(async (o) => {
        if (o.status !== 'rejected') await this.deps.ledger.saveSetting(`meter-threshold/${meter}`, seen, { ts: this.deps.clock.now(), meter, action: 'meter-credit-sync', cause: 'keypad token booked', detail: { ...seen, id } });
      })
      .catch((e: Error & { code?: string }) => this.deps.log.error({ meter, code: e.code, err: e.message }, 'could not book a keypad token'));
    return true;
  }
}

const I32_MAX = 2 ** 31 - 1;

/**
 * The prepaid meter shows credit with at most 4 decimals in an i32: sub-units are scaled down to
 * that (a 1/1000 unit account shows 3 decimals exactly). Emergency credit is the gateway's own
 * (the meter's local grant is switched off, so the two can never disagree).
 */
export function prepaidValues(view: MeterCreditView, now: number): PrepaidCreditValues {
  const inForce = Math.max(0, view.tariff.findLastIndex((v) => v.activeFrom <= now));
  const current = view.tariff.slice(inForce);
  const tariff = current[0]!.tariff;
  const sub = tariff.subunitsPerUnit;
  const decimals = Math.max(0, Math.min(4, Math.floor(Math.log10(sub))));
  const per = sub / 10 ** decimals;
  const shown = (x: number) => Math.max(-I32_MAX, Math.min(I32_MAX, Math.floor(x / per)));
  const [t1 = 0, t2 = 0] = view.policy.lowCreditThresholds;
  // The meter must never stop a customer the gateway would still supply: the notice period's use
  // is added on top of what the credit pays for at the dearest price.
  const threshold = view.spendable === null ? 0 : backupThresholdWh(view.energyWh, view.spendable, Math.max(...current.map((v) => worstCasePricePerKwh(v.tariff)))) + (view.noticeWh > 0 ? view.noticeWh : 0);
  return {
    creditBalance: shown(view.balance),
    lowCreditThreshold1: Math.max(0, shown(t1)),
    lowCreditThreshold2: Math.max(0, shown(t2)),
    emergencyCreditLimit: 0,
    backupDisconnectThreshold: threshold,
    creditDecimals: decimals,
  };
}
