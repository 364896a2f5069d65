/**
 * A prepaid meter's own event log reaches the head end exactly once: a Gateway (in-process) polls a
 * simulated prepaid firmware meter whose cover is opened and whose supply is cut; the gateway
 * stores a meter-event per log entry with the meter's seq and time; after a restart on the same
 * database it stores only what is new. Checked in the outbox file itself.
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Simulator } from '@prepaid-edge/simulator';
import type { NewEvent, StoredEvent } from '../../src/core/model.js';
import type { Gateway } from '../../src/app/runtime.js';
import { openOutbox } from '../../src/adapters/store/index.js';
import { configOf, rawConfig, startGateway } from '../e2e/rig.js';
import { tempDir } from '../store/temp-dir.js';

async function until<T>(what: string, fn: () => T | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const start = (t: ExecutionContext, raw: Record<string, unknown>, seen: NewEvent[]): Promise<Gateway> => startGateway(t, configOf(raw), { events: seen });

test("prepaid meter's event log: cover opened, power down and up uploaded once with the meter's seq and time; what happened while the gateway was down comes after its restart, nothing twice", async (t) => {
  t.timeout(90_000);
  const sim = new Simulator({ profile: 'prepaid', meters: 1, seed: 'meter-events' });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const db = join(tempDir(t), 'gw.db');
  const raw = rawConfig('gw-events', db, 'mqtt://127.0.0.1:1', {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 300 }],
    meters: [{ id: 'p1', bus: 'tcp1', unit: 1, profile: 'prepaid', pollMs: 250 }],
  });
  const since = () => sim.clock.now() - sim.startMs;
  const seen: NewEvent[] = [];
  const kinds = () => seen.filter((e) => e.type === 'meter-event').map((e) => e.data!.kind as string);

  const gw = await start(t, raw, seen);
  sim.addFault(1, { type: 'coverOpen', from: since() });
  await until('cover-opened uploaded', () => kinds().includes('cover-opened'));
  const cut = since();
  sim.addFault(1, { type: 'powerLoss', from: cut, until: cut + 1500 });
  const ups = kinds().filter((k) => k === 'power-up').length; // the boot's own power-up is in the log already
  await until('power down and up uploaded', () => kinds().includes('power-down') && kinds().filter((k) => k === 'power-up').length > ups);
  await gw.stop('restart');
  const firstRun = seen.filter((e) => e.type === 'meter-event');
  const seqs = firstRun.map((e) => e.data!.seq as number);
  t.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in the meter’s order');
  t.is(new Set(seqs).size, seqs.length, 'each seq once');
  const down = firstRun.find((e) => e.data!.kind === 'power-down')!;
  const up = firstRun.filter((e) => e.data!.kind === 'power-up').at(-1)!;
  t.true((up.data!.seq as number) > (down.data!.seq as number));
  t.true(typeof up.data!.meterTs === 'number' && Math.abs((up.data!.meterTs as number) - Date.now()) < 60_000, 'stamped by the meter’s clock');
  t.like(firstRun.find((e) => e.data!.kind === 'cover-opened')!.data, { bus: 'tcp1', code: 8 });

  // The meter goes on while the gateway is down: its supply is cut and restored meanwhile.
  const cutWhileDown = since();
  sim.addFault(1, { type: 'powerLoss', from: cutWhileDown, until: cutWhileDown + 1000 });
  await new Promise((r) => setTimeout(r, 2000));
  sim.states(); // bring the simulated meter up to now (it is otherwise only stepped by requests)
  const again: NewEvent[] = [];
  const gw2 = await start(t, raw, again);
  const newKinds = () => again.filter((e) => e.type === 'meter-event').map((e) => e.data!.kind as string);
  await until('the cut while the gateway was down uploaded', () => newKinds().includes('power-down') && newKinds().includes('power-up'));
  await new Promise((r) => setTimeout(r, 1000));
  await gw2.stop('end');
  const newSeqs = again.filter((e) => e.type === 'meter-event').map((e) => e.data!.seq as number);
  t.true(newSeqs.length >= 2 && newSeqs.every((s) => s > Math.max(...seqs)), `only entries after the first run's (${newSeqs.join(', ')} after ${Math.max(...seqs)})`);
  t.deepEqual(newSeqs, Array.from({ length: newSeqs.length }, (_, i) => Math.max(...seqs) + 1 + i), 'none skipped, none twice');

  // What is in the file: every meter-event once, by seq.
  const outbox = await openOutbox(configOf(raw).storage);
  const stored: StoredEvent[] = await outbox.pendingEvents(10_000);
  await outbox.close();
  const inFile = stored.filter((e) => e.type === 'meter-event').map((e) => e.data.seq as number);
  t.deepEqual(inFile, [...seqs, ...newSeqs]);
});
