/**
 * #14 item 2: a DL/T 645-2007 meter's event records (power down 0311..., cover open 03300D..., clock
 * set 033004..., the table in protocols/profiles/dlt645/event-records.json) reach the head end as
 * meter-events with the meter's own time, exactly once across a gateway restart; its clock is read
 * after the line's broadcast sync and the drift reported per meter. The simulator's DL/T 645 meter
 * on a socat pty keeps and serves the records; a power cut in its faults makes one.
 */
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { Simulator } from '@prepaid-edge/simulator';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { openOutbox } from '../../src/adapters/store/index.js';
import type { NewEvent, StoredEvent } from '../../src/core/model.js';
import { configOf, rawConfig, startGateway } from '../e2e/rig.js';
import { tempDir } from '../store/temp-dir.js';
import { until } from './until.js';

const serialTest = testWith(['socat']);


const records = (evs: NewEvent[], kind?: string) => evs.filter((e) => e.type === 'meter-event' && e.data?.code !== undefined && (!kind || e.data.kind === kind));

serialTest('DL/T 645 event records: power cuts uploaded once with the meter time, also one while the gateway was down; clock drift measured after the broadcast', async (t: ExecutionContext) => {
  t.timeout(90_000);
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  const sim = new Simulator({ profile: 'dlt645', meters: 0, seed: 'dlt-events', scenario: { utcOffsetMin: 480, meters: [{ units: [3], profile: 'dlt645' }] } });
  await sim.openSerial(pty.a, { baudRate: 9600, parity: 'even' });
  t.teardown(() => sim.close());
  const db = join(tempDir(t), 'gw.db');
  const raw = rawConfig('gw-dlt-events', db, 'mqtt://127.0.0.1:1', {
    gateway: { id: 'gw-dlt-events', timezone: 'Asia/Shanghai' },
    buses: [{ id: 'dlt', type: 'dlt645', path: pty.b, baudRate: 9600, parity: 'even', timeoutMs: 1500 }],
    meters: [{ id: 'd3', bus: 'dlt', address: '000000000003', profile: 'dlt645', pollMs: 500 }],
    meterClocks: { checkMs: 1000 },
  });
  const since = () => sim.clock.now() - sim.startMs;
  // A power cut before the gateway starts: its record is there at the first walk.
  /** A power cut of 1.5 s while no gateway is running, then a gateway started: its events. */
  const cutThenStart = async (): Promise<{ at: number; events: NewEvent[]; gw: Awaited<ReturnType<typeof startGateway>> }> => {
    const at = since();
    // 1.5 s: the records hold whole seconds, so the end is at least one second after the start.
    sim.addFault(3, { type: 'powerLoss', from: at, until: at + 1500 });
    await new Promise((r) => setTimeout(r, 1900));
    sim.states();
    const events: NewEvent[] = [];
    return { at, events, gw: await startGateway(t, configOf(raw), { events }) };
  };
  const { at: cut, events: seen, gw } = await cutThenStart();
  const down = await until('the power-down record uploaded', () => records(seen, 'power-down')[0]);
  t.like(down.data, { bus: 'dlt', kind: 'power-down', seq: 1, code: '03110000', di: '03110001' });
  const meterTs = down.data!.meterTs as number;
  t.true(Math.abs(meterTs - (sim.startMs + cut)) < 2000, `stamped with the meter's time of the cut (${meterTs - (sim.startMs + cut)} ms off)`);
  t.true((down.data!.end as number) > meterTs, 'with its end');
  // The broadcast sync is recorded by the meter as a clock-set record; the meter's drift is measured after it.
  const drift = await until('the meter clock measured', () => seen.find((e) => e.type === 'meter-clock' && e.meter === 'd3'));
  t.like(drift.data, { kind: 'dlt645', bus: 'dlt', set: false });
  t.true(typeof drift.data!.driftMs === 'number' && Math.abs(drift.data!.driftMs as number) <= 2000, `drift after the sync: ${String(drift.data!.driftMs)} ms`);
  await until('the clock-set record uploaded', () => records(seen, 'clock-set')[0]);
  await gw.stop('restart');

  // While the gateway is down, another cut.
  const { events: again, gw: gw2 } = await cutThenStart();
  const second = await until('the cut while down uploaded', () => records(again, 'power-down')[0]);
  t.is(second.data!.seq, 2);
  await new Promise((r) => setTimeout(r, 1500));
  await gw2.stop('end');
  t.deepEqual(records(again, 'power-down').map((e) => e.data!.seq), [2], 'only the new one after the restart');

  const outbox = await openOutbox(configOf(raw).storage);
  const stored: StoredEvent[] = await outbox.pendingEvents(10_000);
  await outbox.close();
  const downs = stored.filter((e) => e.type === 'meter-event' && e.data.kind === 'power-down').map((e) => e.data.seq as number);
  t.deepEqual(downs, [1, 2], 'each record once in the outbox');
});
