/** A gateway configuration for CLI tests: one prepaid meter on an unreachable TCP bus, a credit account, the keys. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import YAML from 'yaml';
import { generateCommandKeyPair } from '../../src/core/commands/index.js';
import { hashPassword, hashToken } from '../../src/adapters/web/password.js';
import { tempDir } from '../store/temp-dir.js';
import { EXAMPLES } from './run-cli.js';

export interface CliGateway {
  dir: string;
  file: string;
  db: string;
  raw: Record<string, unknown>;
  /** The utility's key (credit.keys: utility-1) and the technician's (technician:, credit.keys: tech-1). */
  utility: ReturnType<typeof generateCommandKeyPair>;
  write(raw: Record<string, unknown>): void;
}

export function cliGateway(t: ExecutionContext, over: Record<string, unknown> = {}, credit: Record<string, unknown> = {}): CliGateway {
  const dir = tempDir(t);
  const utility = generateCommandKeyPair();
  const tech = generateCommandKeyPair();
  writeFileSync(join(dir, 'tech.pem'), tech.privateKeyPem, { mode: 0o600 });
  const raw: Record<string, unknown> = {
    gateway: { id: 'gw-cli' },
    storage: { path: join(dir, 'gw.db'), synchronous: 'normal' },
    mqtt: { url: 'mqtt://127.0.0.1:1', topicPrefix: 'pe-cli', reconnectMinMs: 100, reconnectMaxMs: 1000, lingerMs: 0 },
    log: { level: 'info' },
    buses: [{ id: 'b', type: 'tcp', host: '127.0.0.1', port: 1 }],
    meters: [{ id: 'p1', bus: 'b', unit: 1, profile: 'prepaid', pollMs: 5000 }],
    technician: { keyId: 'tech-1', privateKeyPath: 'tech.pem' },
    credit: {
      tariffs: { flat: { file: join(EXAMPLES, 'tariffs/flat.yaml') } },
      policies: { res: { file: join(EXAMPLES, 'policies/residential.yaml') } },
      classes: { money: { tariff: 'flat', policy: 'res' } },
      accounts: [{ meter: 'p1', customer: 'C-1', class: 'money', openingBalance: 1000 }],
      keys: [
        { keyId: 'utility-1', publicKey: utility.publicKeyRaw },
        { keyId: 'tech-1', publicKey: tech.publicKeyRaw },
      ],
      ...credit,
    },
    ...over,
  };
  const file = join(dir, 'gw.yaml');
  const write = (r: Record<string, unknown>) => writeFileSync(file, YAML.stringify(r));
  write(raw);
  return { dir, file, db: join(dir, 'gw.db'), raw, utility, write };
}

/** A bearer token for the control API of a test gateway (console.apiTokens: cli). */
export const API_TOKEN = 'pgw_cli-test-token-0123456789abcdefghijklmnopqrstuv';

export async function consoleSection(port: number): Promise<Record<string, unknown>> {
  return { listen: `127.0.0.1:${port}`, users: [{ name: 'tech', passwordHash: await hashPassword('pw', { N: 1024, r: 8, p: 1 }) }], apiTokens: [{ name: 'cli', tokenHash: hashToken(API_TOKEN) }] };
}
