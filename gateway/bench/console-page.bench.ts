/**
 * The web console's first page: what a phone downloads before it can log in — the HTML and every
 * stylesheet, script and icon it references — fetched from a real console server on 127.0.0.1 the
 * way a browser without a cache would, counting the bytes on the wire (headers included).
 * The Chromium e2e test (test/web/console-e2e.test.ts) checks the same limit from the browser.
 */
import net from 'node:net';
import YAML from 'yaml';
import { parseConfig } from '../src/app/config/load-config.js';
import { createLogger } from '../src/adapters/log.js';
import type { GatewayStatus } from '../src/app/runtime.js';
import { startConsole } from '../src/adapters/web/console-server.js';
import { hashPassword } from '../src/adapters/web/password.js';

const LIMIT = 300 * 1024;

/** One HTTP/1.1 GET over a raw socket: the exact bytes received (status line, headers, body). */
function rawGet(port: number, path: string): Promise<{ bytes: number; body: string; status: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip, br\r\nConnection: close\r\n\r\n`));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('end', () => {
      const all = Buffer.concat(chunks);
      const head = all.indexOf('\r\n\r\n');
      resolve({ bytes: all.length, body: all.subarray(head + 4).toString('utf8'), status: Number(/^HTTP\/1\.1 (\d+)/.exec(all.toString('latin1'))?.[1]) });
    });
  });
}

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string }> {
  const cfg = parseConfig(YAML.stringify({ gateway: { id: 'bench-gw' }, storage: { path: '/tmp/unused.db' }, mqtt: { url: 'mqtt://127.0.0.1:1' }, buses: [{ id: 'b1', type: 'tcp', host: '127.0.0.1', port: 1 }], meters: [{ id: 'm1', bus: 'b1', unit: 1, profile: 'sdm630' }] }), 'bench');
  const consoleCfg = { listen: '127.0.0.1:0', allowPublic: false, users: [{ name: 'tech', passwordHash: await hashPassword('bench-password') }], apiTokens: [], sessionTtlMs: 3_600_000, loginMaxFailures: 5, loginLockoutMs: 900_000 };
  const status = async () => ({}) as GatewayStatus;
  const web = await startConsole({ config: cfg, log: createLogger({ level: 'silent' }), credit: undefined, observers: new Set(), status }, consoleCfg as never, { storePath: ':memory:' });
  try {
    const port = Number(new URL(web.url).port);
    const page = await rawGet(port, '/');
    const refs = [...page.body.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
    const rows: Array<[string, number, number]> = [['/', page.status, page.bytes]];
    for (const ref of refs) {
      const r = await rawGet(port, ref);
      rows.push([ref, r.status, r.bytes]);
    }
    const total = rows.reduce((s, r) => s + r[2], 0);
    const markdown = [
      'A console server (the gateway\'s `src/web`) on 127.0.0.1; the login page fetched over a raw HTTP/1.1 socket as a browser with an empty cache would (Accept-Encoding gzip, br), then every stylesheet, script and icon it references; bytes counted on the wire, headers included.',
      '',
      '| resource | status | bytes |',
      '|---|---:|---:|',
      ...rows.map(([p, st, b]) => `| \`${p}\` | ${st} | ${b.toLocaleString('en')} |`),
      `| **total** | | **${total.toLocaleString('en')}** (${(total / 1024).toFixed(1)} KB) |`,
      '',
      `Target: first page under 300 KB. Verdict: ${total < LIMIT && rows.every((r) => r[1] === 200) ? `meets the target (${((total / LIMIT) * 100).toFixed(0)} % of it)` : 'misses the target'}.`,
    ].join('\n');
    return { id: 'console-page', title: "Web console: the first page's transfer size", command: 'gateway/bench/console-page.bench.ts', markdown };
  } finally {
    await web.close();
  }
}
