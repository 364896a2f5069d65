/**
 * Structured JSON logs (pino) on stderr, with the gateway id on every line and secrets redacted
 * wherever they might appear in a logged object.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; gateway?: string } = {}): Logger {
  return pino(
    {
      name: 'prepaid-gateway',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: opts.gateway ? { gateway: opts.gateway } : {},
      redact: { paths: ['password', '*.password', '*.*.password', 'key', '*.key', 'token', '*.token', 'sig', '*.sig'], censor: '***' },
    },
    pino.destination(2),
  );
}
