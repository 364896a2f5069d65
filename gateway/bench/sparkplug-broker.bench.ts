/**
 * Sparkplug B vs the JSON contract through a real broker, same run: 247 sdm630 meters, 20 polls
 * each appended to a real SQLite outbox; the gateway's own uplink (JSON, lingerMs 1000) or its own
 * edge node (sparkplug.mode instead: outbox feed, DDATA by exception) delivers them to mosquitto.
 * Each side runs in its own child process; CPU is that whole process's process.cpuUsage() from the
 * first append until every reading is delivered (outbox empty), divided by the readings. Bytes are
 * counted at a subscriber (QoS 1) as the MQTT 3.1.1 PUBLISH packets the gateway sent (topic,
 * packet id for QoS 1, payload, fixed header). Checked: JSON: every (meter, seq) exactly once;
 * Sparkplug: 247 DBIRTHs, every DDATA decoded by Tahu's sparkplug-payload, as many as the node
 * published, and the delivered cursor at the last reading.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'mqtt';
import { startBenchBroker } from './mosquitto-process.js';
import { readings } from './sparkplug-vs-json.bench.js';

const METERS = 247;
const POLLS = 20;
const ROUND_MS = 100;
const GW = 'bench-gw';
const PREFIX = 'prepaid-edge';

type Mode = 'json' | 'sparkplug';
interface ChildResult { cpuUs: number; readings: number; published: number; cursorOk: boolean }

const varint = (n: number): number => (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4);
const packetBytes = (topic: string, payload: number, qos: number): number => {
  const remaining = 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + payload;
  return 1 + varint(remaining) + remaining;
};

async function child(mode: Mode, url: string): Promise<void> {
  const { openOutbox } = await import('../src/adapters/store/index.js');
  const { createUplink } = await import('../src/adapters/uplink/index.js');
  const { EdgeNode, bdSeqPath } = await import('../src/adapters/sparkplug/index.js');
  const pino = (await import('pino')).default;
  const log = pino({ level: 'silent' });
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'spb-bench-'));
  const storage = { path: join(dir, 'gw.db'), maxReadings: 5_000_000, maxBytes: 1 << 30, synchronous: 'normal' as const };
  const outbox = await openOutbox(storage, mode === 'sparkplug' ? { consumers: { json: false, sparkplug: true } } : {});
  const mqtt = { url, topicPrefix: PREFIX, clientId: `${GW}-${mode}`, persistentSession: false, keepaliveSec: 30, reconnectMinMs: 1000, reconnectMaxMs: 5000, batchSize: 500, inflight: 32, healthIntervalMs: 60_000, lingerMs: 1000 };
  const uplink = createUplink({ cfg: mqtt, gatewayId: GW, outbox, log, version: 'bench', ...(mode === 'sparkplug' ? { readings: false } : {}) });
  const node = mode === 'sparkplug' ? new EdgeNode({ mqtt, sparkplug: { groupId: 'bench', edgeNodeId: GW, mode: 'instead' }, bdSeqFile: bdSeqPath(storage.path), version: 'bench', log, outbox }) : undefined;
  await uplink.start();
  node?.start();
  const until = async (cond: () => boolean | Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 1200 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 25));
  };
  await until(() => uplink.state().connected && (!node || node.state().births > 0));
  const rs = readings().slice(0, METERS * POLLS).map((r) => ({ meter: r.meter, ts: r.ts, values: r.values }));
  const t0 = process.cpuUsage();
  for (let p = 0; p < POLLS; p++) {
    await Promise.all(rs.slice(p * METERS, (p + 1) * METERS).map((r) => outbox.appendReadings([r])));
    await new Promise((r) => setTimeout(r, ROUND_MS));
  }
  await until(async () => (await outbox.stats()).readings === 0);
  const used = process.cpuUsage(t0);
  const last = await outbox.lastReadingId();
  const result: ChildResult = {
    cpuUs: used.user + used.system,
    readings: rs.length,
    published: node ? node.state().published.ddata : uplink.state().published.readingMessages,
    cursorOk: node ? outbox.sparkplugCursor() === last : (await outbox.stats()).readings === 0,
  };
  await node?.stop();
  await uplink.stop();
  await outbox.close();
  rmSync(dir, { recursive: true, force: true });
  process.send!(result, () => process.exit(0));
}

if (process.env.SPB_BENCH_CHILD) void child(process.env.SPB_BENCH_CHILD as Mode, process.env.SPB_BENCH_URL!);

function runChild(mode: Mode, url: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, SPB_BENCH_CHILD: mode, SPB_BENCH_URL: url } });
    c.once('message', (m) => resolve(m as ChildResult));
    c.once('exit', (code) => code !== 0 && reject(new Error(`${mode} child exited ${code}`)));
  });
}

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string; failed?: string }> {
  const tahu = (createRequire(import.meta.url)('sparkplug-payload') as typeof import('sparkplug-payload')).get('spBv1.0')!;
  const broker = await startBenchBroker();
  try {
    const sub = connect(broker.url, { clientId: 'bench-sub', clean: true });
    const seen = { json: { bytes: 0, msgs: 0, readings: new Set<string>(), dup: 0 }, spb: { bytes: 0, ddata: 0, dbirth: 0, other: 0, decodeErrors: 0 } };
    sub.on('message', (topic, payload, packet) => {
      if (topic.startsWith('spBv1.0/')) {
        const type = topic.split('/')[2];
        try {
          tahu.decodePayload(payload);
        } catch {
          seen.spb.decodeErrors++;
        }
        if (type === 'DDATA' || type === 'DBIRTH') seen.spb.bytes += packetBytes(topic, payload.length, packet.qos);
        if (type === 'DDATA') seen.spb.ddata++;
        else if (type === 'DBIRTH') seen.spb.dbirth++;
        else seen.spb.other++;
      } else if (topic.endsWith('/readings')) {
        seen.json.bytes += packetBytes(topic, payload.length, packet.qos);
        seen.json.msgs++;
        const m = JSON.parse(payload.toString()) as { meter: string; readings: Array<{ seq: number }> };
        for (const r of m.readings) {
          const k = `${m.meter}#${r.seq}`;
          if (seen.json.readings.has(k)) seen.json.dup++;
          seen.json.readings.add(k);
        }
      }
    });
    await new Promise<void>((resolve, reject) => sub.once('connect', () => sub.subscribe(['prepaid-edge/#', 'spBv1.0/#'], { qos: 1 }, (e) => (e ? reject(e) : resolve()))));
    const json = await runChild('json', broker.url);
    const spb = await runChild('sparkplug', broker.url);
    await new Promise((r) => setTimeout(r, 500));
    await sub.endAsync();
    const n = json.readings;
    const problems: string[] = [];
    if (seen.json.readings.size !== n || seen.json.dup > 0) problems.push(`JSON: ${seen.json.readings.size} distinct readings of ${n}, ${seen.json.dup} duplicates`);
    if (seen.spb.dbirth !== METERS) problems.push(`Sparkplug: ${seen.spb.dbirth} DBIRTHs, expected ${METERS}`);
    if (seen.spb.decodeErrors > 0) problems.push(`Sparkplug: ${seen.spb.decodeErrors} payloads Tahu could not decode`);
    if (seen.spb.ddata !== spb.published) problems.push(`Sparkplug: ${seen.spb.ddata} DDATA received, the node published ${spb.published}`);
    if (!spb.cursorOk || !json.cursorOk) problems.push('a consumer did not deliver every reading');
    const fmt = (x: number, d = 0): string => x.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
    const jb = seen.json.bytes / n;
    const sb = seen.spb.bytes / n;
    const jc = json.cpuUs / n;
    const sc = spb.cpuUs / n;
    const markdown = [
      `${METERS} sdm630 meters x ${POLLS} polls = ${fmt(n)} readings of 21 values, appended to a real SQLite outbox (synchronous normal) one poll round every ${ROUND_MS} ms, delivered to a local mosquitto by the gateway's own code; each side in its own child process, one after the other in one run. CPU = that whole process (process.cpuUsage: appends, SQLite reads and deletes, encoding, MQTT), from the first append to the outbox being empty. Bytes = MQTT 3.1.1 PUBLISH packets as sent (counted at a subscriber). Machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, shared with other jobs.`,
      '',
      '| path | messages | bytes/reading | CPU µs/reading | note |',
      '|---|---:|---:|---:|---|',
      `| JSON contract (uplink, lingerMs 1000, QoS 1) | ${fmt(seen.json.msgs)} | ${fmt(jb)} | ${fmt(jc, 1)} | every reading, each (meter, seq) once |`,
      `| Sparkplug B, mode instead (outbox feed, DDATA by exception) | ${fmt(seen.spb.ddata)} DDATA + ${fmt(seen.spb.dbirth)} DBIRTH | ${fmt(sb)} | ${fmt(sc, 1)} | QoS 0 live; DBIRTH bytes included |`,
      `| ratio Sparkplug / JSON | | ${fmt(sb / jb, 2)} | ${fmt(sc / jc, 2)} | |`,
      '',
      problems.length ? `**Check failed:** ${problems.join('; ')}` : `Checked: every JSON reading arrived exactly once; ${METERS} DBIRTHs; every Sparkplug payload decoded by Tahu's sparkplug-payload and as many DDATA as the node published; both consumers emptied the outbox.`,
    ].join('\n');
    return {
      id: 'sparkplug-broker',
      title: 'Gateway: Sparkplug B vs the JSON contract through mosquitto, whole-process CPU and bytes per reading',
      command: 'gateway/bench/sparkplug-broker.bench.ts',
      markdown,
      ...(problems.length ? { failed: problems.join('; ') } : {}),
    };
  } finally {
    await broker.stop();
  }
}
