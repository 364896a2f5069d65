export { LedgerFeed, uplinkPublisher, type LedgerFeedOptions, type LedgerFeedState, type StreamLedger, type StreamPublisher } from './ledger-feed.js';
