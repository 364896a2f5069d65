/** `prepaid-gateway fleet` as a user runs it: a child process against a real mosquitto, checked by a second, independent subscriber. */
import { spawn } from 'node:child_process';
import test from 'ava';
import { connect } from 'mqtt';
import type { FleetReport } from '../../src/app/fleet/fleet.js';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { CLI } from '../cli/run-cli.js';

const PREFIX = 'fleet-test';

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [CLI, 'fleet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
}

for (const workers of [0, 2]) {
  testWith(['mosquitto'])(`fleet of 3 gateways x 4 meters (${workers} worker processes): every gateway's readings arrive, seqs contiguous, --json parses`, async (t) => {
    t.timeout(150_000);
    const broker = await startMosquitto(t);
    const seen = new Map<string, number[]>(); // "gw/meter" -> seqs in arrival order
    const client = connect(broker.url, { clientId: `fleet-watch-${workers}-b` });
    client.on('message', (topic, payload) => {
      const [, gw, , meter] = topic.split('/');
      const msg = JSON.parse(payload.toString()) as { readings: Array<{ seq: number }> };
      const key = `${gw}/${meter}`;
      seen.set(key, [...(seen.get(key) ?? []), ...msg.readings.map((r) => r.seq)]);
    });
    await client.subscribeAsync(`${PREFIX}/+/meters/+/readings`, { qos: 1 });
    t.teardown(() => client.endAsync(true));

    const out = await run(['--gateways', '3', '--meters', '4', '--duration', '5', '--broker', broker.url, '--prefix', PREFIX, '--linger-ms', '300', '--workers', String(workers), '--json']);
    t.is(out.code, 0, `exit code\n${out.stderr}`);
    const report = JSON.parse(out.stdout) as FleetReport;
    t.is(report.gateways, 3);
    t.is(report.meters, 12);
    t.is(report.workers, workers);
    t.deepEqual(report.silentGateways, []);
    t.is(report.lost, 0);
    t.is(report.gaps, 0);
    t.true(report.ok);
    // 12 meters at 1/s for 5 s: allow for the window edges, not for a gateway or meter missing.
    t.true(report.deliveredPerS >= 8 && report.deliveredPerS <= 14, `deliveredPerS ${report.deliveredPerS}`);
    t.true(report.polledPerS >= 10 && report.polledPerS <= 14, `polledPerS ${report.polledPerS}`);
    t.true(report.latencyMs.p99 !== null && report.latencyMs.p99 < 2000, `p99 ${report.latencyMs.p99}`);
    t.true(report.processes.some((p) => p.role === (workers ? 'head-end' : 'head-end+gateways') && p.rssMiB > 0));
    t.is(report.processes.filter((p) => p.role === 'worker').length, workers);

    const gateways = new Set([...seen.keys()].map((k) => k.split('/')[0]));
    t.is(gateways.size, 3, `gateways seen by the watcher: ${[...gateways].join(', ')}`);
    t.is(seen.size, 12, 'every meter of every gateway');
    for (const [key, seqs] of seen) {
      const distinct = [...new Set(seqs)].sort((a, b) => a - b);
      t.deepEqual(distinct, Array.from({ length: distinct.length }, (_, i) => i + 1), `${key}: seqs 1..n without a hole`);
    }
    t.is(report.received, [...seen.values()].reduce((n, s) => n + new Set(s).size, 0), 'the head end counted what the watcher saw');
  });
}

test('fleet refuses bad arguments with exit code 2 and names the option', async (t) => {
  const out = await run(['--gateways', '0', '--meters', '4']);
  t.is(out.code, 2);
  t.regex(out.stderr, /--gateways must be an integer 1\.\.2000/);
});
