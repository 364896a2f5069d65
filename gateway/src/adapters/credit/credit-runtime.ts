/**
 * Wires prepaid credit into a running gateway: the ledger (same SQLite file as the outbox), the
 * relay drivers on the acquisition's buses and boards, the prepaid meters' own credit registers,
 * and signed commands over the uplink. The gateway calls it only when the config has `credit:`.
 */
import type { Board } from 'johnny-five';
import type { Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig, MeterConfig } from '../../core/config/gateway-config.js';
import type { Logger } from '../log.js';
import type { NewEvent, NewReading } from '../../core/model.js';
import type { Acquisition } from '../acquisition/index.js';
import { dlt645MasterFor } from '../acquisition/driver-registry.js';
import { openLedger, type AuditEntry, type Ledger } from '../store/ledger/index.js';
import { relayDriverFor } from '../relay/index.js';
import { MeterCreditSync } from './meter-credit-sync.js';
import { creditConsole, type CreditAccountView, type CreditConsole, type TechnicianRelayResult } from './credit-console.js';
import { resultPayload } from '../../core/commands/index.js';
import type { CommandOutcome, RelayDriver } from '../../core/credit/contracts.js';
import { CommandProcessor, type ConfigureCommand } from './command-processor.js';
import { CreditEngine, type CreditPayload } from './credit-engine.js';
import { LedgerFeed, type LedgerFeedOptions } from '../ledger-stream/index.js';

/** What credit needs from the uplink (MQTT): commands in, results and retained credit out. */
export interface CreditUplink {
  /** The handler's promise settles when the command is applied (or refused) and its outcome stored. */
  onCommand(handler: (payload: Buffer) => Promise<unknown>): void;
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
  /** Forward every ledger entry on `{prefix}/{gw}/ledger` (docs/mqtt.md#ledger). */
  ledgerStream?: Omit<LedgerFeedOptions, 'ledger' | 'clock' | 'log'>;
  /** Signed `config` commands (remote configuration), when the gateway runs from a config file. */
  configure?: ConfigureCommand;
}

export class CreditRuntime implements CreditConsole {
  readonly engine: CreditEngine;
  readonly commands: CommandProcessor;
  private readonly drivers = new Map<string, RelayDriver | null>();
  private readonly meterSync: MeterCreditSync;
  private readonly console: CreditConsole;
  /** The ledger stream, when the uplink carries it. */
  stream: LedgerFeed | undefined;

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
      syncMeter: (meter, view) => this.meterSync.sync(meter, view),
      readMeter: (meter) => this.readMeter(meter),
      meterEvent: (e) => this.meterSync.onMeterEvent(e),
      meterReading: (r) => this.meterSync.onReading(r),
    });
    this.commands = new CommandProcessor({ config: credit, engine: this.engine, ledger, clock: deps.clock, meterConfigured: (m) => this.meterConfig(m) !== undefined, ...(deps.configure ? { configure: deps.configure } : {}) });
    this.meterSync = new MeterCreditSync({ config: deps.config, acquisition: deps.acquisition, ledger, clock: deps.clock, log: deps.log, keypadToken: (m, wh, id) => this.engine.keypadToken(m, wh, id),
      adoptCredit: (m, amount, id, detail) => this.engine.intake.topUp(m, amount, { id, type: 'topup', source: 'meter (credit found at first sync)', detail }),
    });
    this.console = creditConsole({ engine: this.engine, ledger, relayFor: (m) => this.relayFor(m), handleCommand: (p) => this.handleCommand(p) });
  }

  // The console's narrow view of credit (CreditConsole), delegated.
  accounts(now: number): Promise<CreditAccountView[]> {
    return this.console.accounts(now);
  }

  latestAudit(limit: number): Promise<AuditEntry[]> {
    return this.console.latestAudit(limit);
  }

  controllable(meter: string): boolean {
    return this.console.controllable(meter);
  }

  technicianRelay(meter: string, target: 'connected' | 'disconnected', cause: string, until: number): Promise<TechnicianRelayResult> {
    return this.console.technicianRelay(meter, target, cause, until);
  }

  /** `ledger`: an open one to go on with (a hot reload keeps the ledger open across the restart of the rest). */
  static async start(deps: CreditRuntimeDeps, open?: Ledger): Promise<CreditRuntime> {
    const ledger = open ?? (await openLedger(deps.config.storage.path, { clock: deps.clock, synchronous: deps.config.storage.synchronous }));
    const rt = new CreditRuntime(ledger, deps);
    try {
      await rt.engine.start();
      if (deps.ledgerStream) {
        rt.stream = new LedgerFeed({ ...deps.ledgerStream, ledger, clock: deps.clock, log: deps.log });
        await rt.stream.start();
      }
    } catch (e) {
      await ledger.close().catch(() => undefined);
      throw e;
    }
    deps.uplink.onCommand((payload) => rt.handleCommand(payload));
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

  /** Poll a meter once now (account-close's final reading); undefined if it gave no reading. */
  private async readMeter(meter: string): Promise<NewReading | undefined> {
    const p = this.deps.acquisition.pollers.get(meter);
    if (!p) return undefined;
    const before = this.deps.clock.now();
    await p.pollOnce();
    const r = p.latest;
    return r && r.ts >= before ? r : undefined;
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

  /** `keepLedger`: leave the ledger open for the next runtime (CreditRuntime.start(deps, ledger)). */
  async stop(opts: { keepLedger?: boolean } = {}): Promise<void> {
    await this.engine.stop();
    // After the engine's last postings, before the file closes: what is left goes at the next start.
    await this.stream?.stop();
    if (!opts.keepLedger) await this.ledger.close();
  }
}
