/**
 * Wires prepaid credit into a running gateway: the ledger (same SQLite file as the outbox), the
 * relay drivers on the acquisition's buses and boards, the prepaid meters' own credit registers,
 * and signed commands over the uplink. The gateway calls it only when the config has `credit:`.
 */
import type { Board } from 'johnny-five';
import type { Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig, MeterConfig } from '../../core/config/gateway-config.js';
import type { Logger } from '../log.js';
import type { NewEvent } from '../../core/model.js';
import type { Acquisition } from '../acquisition/index.js';
import { dlt645MasterFor } from '../acquisition/driver-registry.js';
import { openLedger, type Ledger } from '../store/ledger/index.js';
import { backupThresholdWh, relayDriverFor, syncPrepaidMeter, worstCasePricePerKwh, type PrepaidCreditValues } from '../relay/index.js';
import { resultPayload } from '../../core/commands/index.js';
import type { CommandOutcome, RelayDriver } from '../../core/credit/contracts.js';
import { CommandProcessor } from './command-processor.js';
import { CreditEngine, type CreditPayload, type MeterCreditView } from './credit-engine.js';

/** The backup threshold the gateway last wrote to a prepaid meter, and when (ledger setting). */
interface WrittenThreshold {
  threshold: number;
  at: number;
}

/** What credit needs from the uplink (MQTT): commands in, results and retained credit out. */
export interface CreditUplink {
  onCommand(handler: (payload: Buffer) => void): void;
  publishResult(payload: string): void;
  publishCredit(meter: string, payload: object): void;
}

export interface CreditRuntimeDeps {
  config: GatewayConfig;
  acquisition: Acquisition;
  boards: ReadonlyMap<string, Board>;
  uplink: CreditUplink;
  event: (e: NewEvent) => void;
  log: Logger;
  /** Wall time and the credit rules' wake-up timers (tests pass a ManualClock). */
  clock: Clock;
}

export class CreditRuntime {
  readonly engine: CreditEngine;
  readonly commands: CommandProcessor;
  private readonly drivers = new Map<string, RelayDriver | null>();
  private readonly lastSync = new Map<string, string>();
  private readonly written = new Map<string, WrittenThreshold | undefined>();

  private constructor(
    readonly ledger: Ledger,
    private readonly deps: CreditRuntimeDeps,
  ) {
    const credit = deps.config.credit!;
    this.engine = new CreditEngine({
      config: credit,
      zone: deps.config.gateway.timezone,
      ledger,
      clock: deps.clock,
      log: deps.log,
      event: deps.event,
      publishCredit: (meter, payload: CreditPayload) => deps.uplink.publishCredit(meter, payload),
      relayFor: (meter) => this.relayFor(meter),
      syncMeter: (meter, view) => this.syncMeter(meter, view),
    });
    this.commands = new CommandProcessor({ config: credit, engine: this.engine, ledger, clock: deps.clock });
  }

  static async start(deps: CreditRuntimeDeps): Promise<CreditRuntime> {
    const ledger = await openLedger(deps.config.storage.path, { now: () => deps.clock.now(), synchronous: deps.config.storage.synchronous });
    const rt = new CreditRuntime(ledger, deps);
    try {
      await rt.engine.start();
    } catch (e) {
      await ledger.close().catch(() => undefined);
      throw e;
    }
    deps.uplink.onCommand((payload) => {
      void rt.handleCommand(payload);
    });
    return rt;
  }

  /** One command from MQTT: its outcome goes to commands/results (and to the log, never its signature). */
  async handleCommand(payload: Buffer | string): Promise<CommandOutcome> {
    const outcome = await this.commands.handle(payload).catch((e: Error & { code?: string }): CommandOutcome => {
      this.deps.log.error({ code: e.code, err: e.message }, 'command failed');
      return { status: 'rejected', id: null, reason: e.code ?? 'E_COMMAND_MALFORMED', message: e.message };
    });
    const o = outcome.status === 'duplicate' ? outcome.original : outcome;
    this.deps.log.info({ command: outcome.id, status: outcome.status, ...('meter' in o && o.meter ? { meter: o.meter } : {}), ...(outcome.status === 'rejected' ? { reason: outcome.reason } : {}) }, 'command');
    this.deps.uplink.publishResult(resultPayload(outcome, this.deps.clock.now()));
    return outcome;
  }

  private meterConfig(meter: string): MeterConfig | undefined {
    return this.deps.config.meters.find((m) => m.id === meter);
  }

  relayFor(meter: string): RelayDriver | undefined {
    if (this.drivers.has(meter)) return this.drivers.get(meter) ?? undefined;
    const cfg = this.meterConfig(meter);
    let driver: RelayDriver | null = null;
    if (cfg) {
      try {
        driver = relayDriverFor(cfg, {
          modbusBus: (id) => {
            const b = this.deps.acquisition.buses.get(id);
            return b && b.config.type !== 'dlt645' ? { master: b.master, queue: b.queue } : undefined;
          },
          dlt645Bus: (id) => {
            const b = this.deps.acquisition.buses.get(id);
            return b && b.config.type === 'dlt645' ? dlt645MasterFor(b) : undefined;
          },
          board: (id) => this.deps.boards.get(id),
          onAttempt: (a) => {
            if (a.outcome !== 'ok' && a.outcome !== 'already') this.deps.log.warn({ meter, target: a.target, attempt: a.attempt, outcome: a.outcome, error: a.error }, 'relay attempt');
          },
        });
      } catch (e) {
        this.deps.log.warn({ meter, code: (e as { code?: string }).code, err: (e as Error).message }, 'no relay driver for this meter');
      }
    }
    this.drivers.set(meter, driver);
    return driver ?? undefined;
  }

  /** Defence in depth for `prepaid` meters: balance, warnings and the backup disconnect threshold. */
  private async syncMeter(meter: string, view: MeterCreditView): Promise<void> {
    const cfg = this.meterConfig(meter);
    if (!cfg || cfg.profile !== 'prepaid' || (cfg.relay && cfg.relay.type !== 'meter')) return;
    const bus = this.deps.acquisition.buses.get(cfg.bus);
    if (!bus || bus.config.type === 'dlt645') return;
    if (await this.keypadTokenSeen(meter)) return; // the top-up it queued writes the meter next
    const values = prepaidValues(view, this.deps.clock.now());
    const key = JSON.stringify(values);
    if (this.lastSync.get(meter) === key) return;
    await syncPrepaidMeter(bus.master, bus.queue, cfg.unit, values, { meter });
    this.lastSync.set(meter, key);
    await this.rememberThreshold(meter, values.backupDisconnectThreshold);
  }

  private async writtenThreshold(meter: string): Promise<WrittenThreshold | undefined> {
    if (!this.written.has(meter)) this.written.set(meter, (await this.ledger.setting(`meter-threshold/${meter}`)) as WrittenThreshold | undefined);
    return this.written.get(meter);
  }

  private async rememberThreshold(meter: string, threshold: number): Promise<void> {
    const prev = await this.writtenThreshold(meter);
    if (prev?.threshold === threshold) return;
    const w = { threshold, at: this.deps.clock.now() };
    await this.ledger.saveSetting(`meter-threshold/${meter}`, w, { ts: w.at, meter, action: 'meter-credit-sync', cause: 'backup disconnect threshold written', detail: { ...w } });
    this.written.set(meter, w);
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
    const base = prev.threshold === 0 || energy >= prev.threshold ? energy : prev.threshold;
    const tokenWh = shown - base;
    if (tokenWh <= 0) return false;
    const id = `keypad:${meter}:${latest.values.eventCounter ?? 0}:${shown}`;
    this.written.set(meter, { threshold: shown, at: latest.ts });
    this.lastSync.delete(meter);
    void this.engine.keypadToken(meter, tokenWh, id).catch((e: Error & { code?: string }) => this.deps.log.error({ meter, code: e.code, err: e.message }, 'could not book a keypad token'));
    return true;
  }


  async stop(): Promise<void> {
    await this.engine.stop();
    await this.ledger.close();
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
