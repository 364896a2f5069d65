/**
 * Wires the rating into a running gateway (config `rating:`, beside `credit:`): its store on the
 * gateway's SQLite file, the rating service on the credit ledger, the engine's bands, and the
 * webhook when the rating file names one.
 */
import type { Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import type { NewEvent } from '../../core/model.js';
import type { Rating } from '../../core/rating/index.js';
import type { CreditEngine } from '../credit/credit-engine.js';
import type { Ledger } from '../store/ledger/index.js';
import type { Logger } from '../log.js';
import { WebhookDeliverer } from '../notify/webhook.js';
import { loadRating } from './load-rating.js';
import { RatingService } from './rating-service.js';
import { RatingStore } from './rating-store.js';

export interface RatingRuntime {
  service: RatingService;
  store: RatingStore;
  webhook: WebhookDeliverer | undefined;
  onEvent(e: NewEvent): void;
  /** The latest rating of each account (the web console's meter table). */
  ratings(): Rating[];
  stop(): Promise<void>;
}

export async function startRating(config: GatewayConfig, credit: { engine: CreditEngine; ledger: Ledger }, deps: { clock: Clock; log: Logger; event: (e: NewEvent) => void }): Promise<RatingRuntime> {
  const setup = loadRating(config.rating!.file);
  const store = await RatingStore.open(config.storage.path);
  const log = deps.log.child({ part: 'rating' });
  const hook = setup.rules.reminders.webhook;
  const webhook = hook && setup.secret ? new WebhookDeliverer({ store, rules: hook, secret: setup.secret, clock: deps.clock, log }) : undefined;
  const accounts = config.credit!.accounts.map((a) => ({ meter: a.meter, customer: a.customer, contract: a.customerClass, creditUnit: a.creditUnit, ...(a.currency ? { currency: a.currency } : {}) }));
  const service = new RatingService({
    store,
    rules: setup.rules,
    templates: setup.templates,
    gatewayId: config.gateway.id,
    zone: config.gateway.timezone,
    clock: deps.clock,
    log,
    accounts: () => accounts,
    subunitsPerUnit: (m) => credit.engine.subunitsPerUnit(m),
    event: deps.event,
    audit: (a) => credit.ledger.audit(a).then(() => undefined),
    setBand: (meter, band, b) => credit.engine.setPolicyBand(meter, { policy: b.policy, reconnectPriority: b.reconnectPriority }, 'credit rating', { band }),
    queued: () => webhook?.kick(),
  });
  try {
    await service.start();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  webhook?.start();
  return {
    service,
    store,
    webhook,
    onEvent: (e) => service.onEvent(e),
    ratings: () => service.ratings(),
    async stop() {
      await service.stop();
      await webhook?.stop();
      await store.close();
    },
  };
}
