import test from 'ava';
import { encodeRtu, decodeRtu, encodeRequest, parseResponse, toHex } from '@prepaid-edge/protocols';
import { Simulator } from '../src/simulator.js';
import { ManualClock } from '@prepaid-edge/protocols';
import { WireTiming } from '../src/wire-timing.js';
import { decideReplyFaults } from '../src/faults.js';
import { createRng } from '../src/physics/random.js';

const T0 = Date.UTC(2026, 2, 2, 10);
const readInput = (unit: number, address: number, count: number) => encodeRtu(unit, encodeRequest({ fc: 0x04, address, count }));

function sim(opts: ConstructorParameters<typeof Simulator>[0] = {}) {
  const clock = new ManualClock({ now: T0 });
  return { clock, sim: new Simulator({ profile: 'sdm120', meters: 3, clock, ...opts }) };
}

test('power loss window: no replies inside it, energy frozen exactly at its edges', (t) => {
  const { clock, sim: s } = sim({ scenario: { meters: [{ units: [2], load: { type: 'constant', watts: 1000 }, energyImportWh: 0, faults: [{ type: 'powerLoss', from: 3_600_000, until: 7_200_000 }] }] } });
  clock.advance(5_400_000);
  t.is(s.bus.handleRtu(readInput(2, 0, 2)), undefined);
  t.false(s.trueState(2).powered);
  clock.advance(5_400_000); // 3 h in total, 1 h of it without supply
  t.true(s.trueState(2).powered);
  t.is(s.trueState(2).snapshot.energyImportWh, 2000);
  t.truthy(s.bus.handleRtu(readInput(2, 0, 2)));
});

test('counter reset at a given time restarts the register (meter replaced)', (t) => {
  const { clock, sim: s } = sim({ scenario: { meters: [{ units: 1, load: { type: 'constant', watts: 3600 }, energyImportWh: 50_000, faults: [{ type: 'counterReset', from: 1_800_000 }] }] } });
  clock.advance(1_000_000);
  t.is(s.trueState(1).snapshot.energyImportWh, 51_000);
  clock.advance(1_800_000); // reset at 1800 s, then 1000 s at 3.6 kW = 1000 Wh
  t.is(s.trueState(1).snapshot.energyImportWh, 1000);
});

test('reply faults: wrong unit, exception, bad CRC, late reply', (t) => {
  const { sim: s } = sim();
  s.addFault(1, { type: 'wrongUnit' });
  t.is(decodeRtu(s.bus.handleRtu(readInput(1, 0, 2))!.bytes).unit, 2);
  s.clearFaults(1);
  s.addFault(1, { type: 'exception', exceptionCode: 6 });
  t.is(toHex(decodeRtu(s.bus.handleRtu(readInput(1, 0, 2))!.bytes).pdu), '84 06');
  s.clearFaults(1);
  s.addFault(1, { type: 'badCrc' });
  t.throws(() => decodeRtu(s.bus.handleRtu(readInput(1, 0, 2))!.bytes), { message: /CRC/ });
  s.clearFaults(1);
  s.addFault(1, { type: 'lateReply', delayMs: 750 });
  t.is(s.bus.handleRtu(readInput(1, 0, 2))!.delayMs, 750);
});

test('a fault rate of 0.2 drops about a fifth of replies, reproducibly by seed', (t) => {
  const rate = (seed: number) => {
    const rng = createRng(seed, 'faults', 1);
    let n = 0;
    for (let i = 0; i < 5000; i++) if (decideReplyFaults([{ type: 'badCrc', rate: 0.2 }], 0, rng).corruptCrc) n++;
    return n;
  };
  t.is(rate(1), rate(1));
  t.true(Math.abs(rate(1) / 5000 - 0.2) < 0.02);
});

test('same seed and same requests give byte-identical replies', (t) => {
  const replies = () => {
    const { clock, sim: s } = sim({ seed: 99, scenario: { meters: [{ units: 'all', faults: [{ type: 'noReply', rate: 0.3 }] }] } });
    const out: string[] = [];
    for (let i = 0; i < 200; i++) {
      clock.advance(777);
      const r = s.bus.handleRtu(readInput((i % 3) + 1, 0, 76));
      out.push(r ? toHex(r.bytes) : '-');
    }
    return out;
  };
  const a = replies();
  t.deepEqual(a, replies());
  t.true(a.includes('-'));
});

test('broadcast (unit 0) writes reach every meter and get no reply; reads are ignored', (t) => {
  const { sim: s } = sim({ profile: 'prepaid' });
  const before = s.bus.stats.broadcasts;
  t.is(s.bus.handleRtu(encodeRtu(0, encodeRequest({ fc: 0x04, address: 0, count: 1 }))), undefined);
  t.is(s.bus.stats.broadcasts, before + 1);
});

test('meters with their own baud rate only hear a master at that rate', (t) => {
  const { sim: s } = sim({ scenario: { meters: [{ units: 2, baudRate: 19200 }] } });
  t.is(s.bus.handleRtu(readInput(2, 0, 2), { baudRate: 9600, parity: 'none' }), undefined);
  t.truthy(s.bus.handleRtu(readInput(2, 0, 2), { baudRate: 19200, parity: 'none' }));
  t.truthy(s.bus.handleRtu(readInput(1, 0, 2), { baudRate: 9600, parity: 'none' }));
});

test('wire timing: 2-register read at 9600 8E1 = 17 chars = 19.5 ms plus turnaround, transactions queue', (t) => {
  const w = new WireTiming({ baudRate: 9600, parity: 'even', turnaroundMs: 5 });
  const d1 = w.schedule(8, 9, 1000);
  t.is(Math.round(d1 * 10) / 10, 24.5);
  const d2 = w.schedule(8, 9, 1000); // second request arrives while the line is busy
  t.is(Math.round(d2 * 10) / 10, 49);
  t.is(Math.round(w.wireMs * 10) / 10, 39);
});

test('scenario events apply at their simulated time: load change, relay open', (t) => {
  const { clock, sim: s } = sim({
    scenario: {
      meters: [{ units: 'all', load: { type: 'constant', watts: 1000 }, energyImportWh: 0 }],
      events: [
        { at: 3_600_000, units: [1], load: { type: 'constant', watts: 2000 } },
        { at: 7_200_000, units: 'all', relay: 'open' },
      ],
    },
  });
  clock.advance(10_800_000);
  s.applyDueEvents();
  t.is(s.trueState(1).snapshot.energyImportWh, 3000);
  t.is(s.trueState(2).snapshot.energyImportWh, 2000);
  t.false(s.trueState(3).relayClosed);
  const pdu = decodeRtu(s.bus.handleRtu(readInput(1, 0x0c, 2))!.bytes).pdu;
  const r = parseResponse(pdu, { fc: 0x04, address: 0x0c, count: 2 });
  t.deepEqual('registers' in r ? r.registers : [], [0, 0]); // open relay: 0 W
});
