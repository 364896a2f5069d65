/** The narrow face of the gateway the console is given (the Gateway class, or a fake in tests). */
import type { Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import type { CreditConsole } from '../credit/credit-console.js';
import type { Rating } from '../../core/rating/index.js';
import type { Logger } from '../log.js';
import type { ConsoleAuth } from './auth.js';
import type { EventRing } from './event-ring.js';
import type { GatewayObserver, GatewayStatus } from './gateway-status.js';
import type { HistoryRing } from './history.js';
import type { GatewayMetrics } from './metrics.js';
import type { ScanJobs } from './scan-jobs.js';
import type { StatementReport } from '../store/ledger/statement-reader.js';

/** What the console needs from the gateway. */
export interface ConsoleHost {
  readonly config: GatewayConfig;
  readonly log: Logger;
  /** The narrow credit interface (views and controls), when credit is configured. */
  readonly credit: CreditConsole | undefined;
  /** The latest credit ratings, when the config has `rating:`. */
  readonly rating?: { ratings(): readonly Rating[] } | undefined;
  readonly observers: Set<GatewayObserver>;
  /** The gateway's clock (the console's default). */
  readonly clock?: Clock;
  status(): Promise<GatewayStatus>;
  /** A customer statement from the ledger (local dates, inclusive), when credit is configured. */
  statement?(meter: string, from: string, to: string): Promise<StatementReport>;
}

/** What every API route handler is given. */
export interface RequestContext {
  host: ConsoleHost;
  auth: ConsoleAuth;
  metrics: GatewayMetrics;
  history: HistoryRing;
  events: EventRing;
  scans: ScanJobs;
  now: () => number;
}
