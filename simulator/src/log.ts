/** Structured JSON logs (pino) to stderr, so stdout stays free for tables and JSON output. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'prepaid-sim'): Logger {
  return pino({ name, level }, pino.destination(2));
}
