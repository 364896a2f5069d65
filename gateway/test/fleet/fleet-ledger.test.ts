/**
 * `prepaid-gateway fleet --credit` as a user runs it: every gateway charges its meters, streams its
 * ledger, and the fleet's head end rebuilds every balance from the streams and compares it with each
 * gateway's ledger. A second, independent subscriber rebuilds too and must agree with the report.
 */
import { spawn } from 'node:child_process';
import { connect } from 'mqtt';
import type { FleetReport } from '../../src/app/fleet/fleet.js';
import { LedgerRebuild } from '../../src/core/ledger/rebuild.js';
import { parseLedgerMessage } from '../../src/core/ledger/stream.js';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { CLI } from '../cli/run-cli.js';

const PREFIX = 'fleet-ledger-test';

testWith(['mosquitto'])('fleet --credit, 2 gateways x 3 meters in a worker process: the head end rebuilds every balance from the ledger streams, 0 mismatches; an independent subscriber agrees', async (t) => {
  t.timeout(120_000);
  const broker = await startMosquitto(t);
  const watch = new Map<string, LedgerRebuild>();
  const client = connect(broker.url, { clientId: 'fleet-ledger-watch' });
  client.on('message', (topic, payload) => {
    const gw = topic.split('/')[1]!;
    const p = parseLedgerMessage(payload.toString());
    if (!p.ok) return t.fail(`malformed ledger message: ${p.error}`);
    if (!watch.has(gw)) watch.set(gw, new LedgerRebuild());
    watch.get(gw)!.accept(p.message.entries);
  });
  await client.subscribeAsync(`${PREFIX}/+/ledger`, { qos: 1 });
  t.teardown(() => client.endAsync(true));

  const proc = spawn(process.execPath, [CLI, 'fleet', '--gateways', '2', '--meters', '3', '--duration', '5', '--poll-ms', '250', '--credit', '--broker', broker.url, '--prefix', PREFIX, '--linger-ms', '200', '--workers', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  t.is(code, 0, `exit code\n${stderr}`);
  const report = JSON.parse(stdout) as FleetReport;
  const l = report.ledger!;
  t.truthy(l, 'the report has a ledger check');
  t.is(l.gateways, 2);
  t.true(l.entries > 2 * 3, `entries in the ledgers: ${l.entries} (6 opening balances, then consumption)`);
  t.is(l.applied, l.entries, 'every entry rebuilt at the head end');
  t.is(l.gaps, 0);
  t.is(l.missing, 0);
  t.is(l.mismatches, 0, JSON.stringify(l.firstMismatches));
  t.is(l.breaks, 0);
  t.true(l.ok && report.ok);

  t.is(watch.size, 2, 'the watcher heard both gateways');
  const watched = [...watch.values()].reduce((n, r) => n + r.lastSeq(), 0);
  t.is(watched, l.entries, 'the independent rebuild reached the same entry count');
  t.true([...watch.values()].every((r) => r.summary().gaps.length === 0 && r.breakTotal() === 0));
  t.log(`${l.entries} entries, ${l.duplicates} duplicates dropped; balances per gateway ${JSON.stringify([...watch].map(([g, r]) => [g.slice(-3), [...r.balances().values()]]))}`);
});
