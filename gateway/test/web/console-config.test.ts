/** The `console:` section through the real config loader: defaults, and bad fields named by path. */
import test from 'ava';
import YAML from 'yaml';
import { parseConfig } from '../../src/app/config/load-config.js';

const base = {
  gateway: { id: 'gw' },
  storage: { path: '/tmp/x.db' },
  mqtt: { url: 'mqtt://127.0.0.1:1883' },
  buses: [{ id: 'b1', type: 'tcp', host: '127.0.0.1', port: 502 }],
  meters: [],
};
const HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

test('console: defaults from the schema', (t) => {
  const cfg = parseConfig(YAML.stringify({ ...base, console: { listen: '127.0.0.1:8080', users: [{ name: 'tech', passwordHash: HASH }] } }));
  t.deepEqual(cfg.console, { listen: '127.0.0.1:8080', users: [{ name: 'tech', passwordHash: HASH }], allowPublic: false, apiTokens: [], sessionTtlMs: 28_800_000, sessionIdleMs: 1_800_000, loginMaxFailures: 5, loginLockoutMs: 900_000 });
  t.is(parseConfig(YAML.stringify(base)).console, undefined, 'no section, no console');
});

test('console: bad fields are named', (t) => {
  const cases: Array<[unknown, string]> = [
    [{ listen: '127.0.0.1', users: [{ name: 'tech', passwordHash: HASH }] }, 'console.listen'],
    [{ listen: '127.0.0.1:8080', users: [] }, 'console.users'],
    [{ listen: '127.0.0.1:8080', users: [{ name: 'tech', passwordHash: 'plaintext' }] }, 'console.users[0].passwordHash'],
    [{ listen: '127.0.0.1:8080', users: [{ name: 'tech', passwordHash: HASH }], apiTokens: [{ name: 'x', tokenHash: 'abc' }] }, 'console.apiTokens[0].tokenHash'],
    [{ listen: '127.0.0.1:8080', users: [{ name: 'tech', passwordHash: HASH }], sessionTtlMs: 10 }, 'console.sessionTtlMs'],
    [{ listen: '127.0.0.1:8080', users: [{ name: 'tech', passwordHash: HASH }], sessionIdleMs: 1000 }, 'console.sessionIdleMs'],
    [{ listen: '127.0.0.1:8080', users: [{ name: 'tech', passwordHash: HASH }], password: 'x' }, 'console.password'],
  ];
  for (const [section, path] of cases) {
    const e = t.throws(() => parseConfig(YAML.stringify({ ...base, console: section })), undefined, path);
    t.is((e as Error & { context: { path: string } }).context.path, path);
  }
});
