/**
 * `prepaid` meters are the real firmware (firmware-ts) on virtual boards: the load physics drive
 * the S0 input pulse by pulse, the firmware's relay switches the physics, state faults reach the
 * board (power cuts reboot the firmware from its memory). Read back over the simulated bus.
 */
import test from 'ava';
import { decodeRtu, encodeRequest, encodeRtu, parseResponse, type ModbusRequest } from '@prepaid-edge/protocols';
import { EVENT, RELAY, STATUS } from '@prepaid-edge/firmware';
import { Simulator } from '../src/simulator.js';
import { ManualClock } from '@prepaid-edge/protocols';
import { createRng } from '../src/physics/random.js';
import { FirmwareSimMeter } from '../src/meters/firmware-meter.js';
import type { Scenario } from '../src/scenario.js';
import '../src/meters/register-all.js';

const T0 = Date.UTC(2026, 5, 1, 6);

function prepaidSim(meters: number, scenario: Scenario = {}) {
  const clock = new ManualClock({ now: T0 });
  const sim = new Simulator({ profile: 'prepaid', meters, clock, seed: 11, scenario });
  const request = (unit: number, req: ModbusRequest) => {
    const reply = sim.bus.handleRtu(encodeRtu(unit, encodeRequest(req)));
    if (!reply) return undefined;
    return parseResponse(decodeRtu(reply.bytes).pdu, req);
  };
  const input = (unit: number, address: number, count: number): number[] => {
    const r = request(unit, { fc: 0x04, address, count });
    if (!r || !('registers' in r)) throw new Error(`no registers from unit ${unit}: ${JSON.stringify(r)}`);
    return r.registers;
  };
  const energy = (unit: number): number => {
    const w = input(unit, 12, 4);
    return ((w[0]! * 65536 + w[1]!) * 65536 + w[2]!) * 65536 + w[3]!;
  };
  const meter = (unit: number) => sim.meter(unit) as FirmwareSimMeter;
  return { clock, sim, request, input, energy, meter };
}

test('the factory makes prepaid meters firmware instances on virtual boards', (t) => {
  const { sim, input, meter } = prepaidSim(2);
  t.true(sim.meter(1) instanceof FirmwareSimMeter);
  t.deepEqual(input(2, 0, 5).slice(0, 2), [0x5045, 1]);
  t.true(meter(2).board.relayClosed);
  t.deepEqual(meter(1).board.lcdLines()[1]!.slice(-2), 'ON');
});

test('S0 pulses from the physics: the firmware register equals the true energy at every poll (6 h, noisy loads)', (t) => {
  const { clock, sim, energy, meter } = prepaidSim(4, { meters: [{ units: [4], load: { type: 'ev' } }] });
  const rng = createRng(99, 'poll', 0);
  const start = sim.states().map((s) => s.snapshot.energyImportWh);
  for (let i = 0; i < 60; i++) {
    clock.advance(Math.floor(rng() * 720_000)); // uneven polling
    for (const unit of [1, 2, 3, 4]) t.is(energy(unit), sim.trueState(unit).snapshot.energyImportWh, `unit ${unit} poll ${i}`);
  }
  for (const unit of [1, 2, 3, 4]) t.is(meter(unit).pulsesFed, sim.trueState(unit).snapshot.energyImportWh - start[unit - 1]!);
  t.true(meter(4).pulsesFed > 1000);
});

test('20 pulses/s (72 kW on 1000 imp/kWh) for 10 minutes: no missed pulse, none debounced away', (t) => {
  const { clock, sim, energy, meter } = prepaidSim(1, { meters: [{ units: 'all', load: { type: 'constant', watts: 72_000 }, energyImportWh: 0 }] });
  for (let s = 0; s < 600; s++) clock.advance(1000);
  t.is(sim.trueState(1).snapshot.energyImportWh, 12_000);
  t.is(energy(1), 12_000);
  t.is(meter(1).pulsesFed, 12_000);
  t.is(meter(1).firmware!.hardware.s0.debouncer.bounces, 0);
});

test('backup disconnect threshold: the relay opens at the exact Wh and the physics stop drawing', (t) => {
  const { clock, sim, request, energy, input } = prepaidSim(1, { meters: [{ units: 'all', load: { type: 'constant', watts: 3600 }, energyImportWh: 50_000 }] });
  request(1, { fc: 0x10, address: 8, values: [0, 0, 0, 51_000] });
  clock.advance(7_200_000);
  t.is(energy(1), 51_000);
  t.is(sim.trueState(1).snapshot.energyImportWh, 51_000);
  t.false(sim.trueState(1).relayClosed);
  t.is(input(1, 21, 1)[0], RELAY.DISCONNECTED);
  const closeRefused = request(1, { fc: 0x05, address: 1, value: true });
  t.like(closeRefused, { exception: 4 });
  request(1, { fc: 0x10, address: 8, values: [0, 0, 0, 60_000] });
  request(1, { fc: 0x05, address: 1, value: true });
  clock.advance(1_800_000);
  t.is(energy(1), 52_800);
});

test('power cut: no replies while off, the firmware boots from its memory, logs power down/up, no energy lost', (t) => {
  const { clock, sim, request, energy, input, meter } = prepaidSim(1, {
    meters: [{ units: 'all', load: { type: 'constant', watts: 1000 }, energyImportWh: 0, faults: [{ type: 'powerLoss', from: 3_600_000, until: 5_400_000 }] }],
  });
  request(1, { fc: 0x05, address: 1, value: false });
  request(1, { fc: 0x05, address: 1, value: true }); // some state to keep
  clock.advance(4_000_000);
  t.is(request(1, { fc: 0x04, address: 0, count: 1 }), undefined);
  t.false(meter(1).board.powered);
  clock.advance(2_000_000);
  t.is(energy(1), 1166); // 3600 s + 600 s at 1 kW = 1166.7 Wh
  t.is(energy(1), sim.trueState(1).snapshot.energyImportWh);
  t.is(meter(1).boots, 2);
  request(1, { fc: 0x06, address: 16, value: 1 });
  const down = input(1, 25, 7);
  t.is(down[0], EVENT.POWER_DOWN);
  t.is(down[3]! * 65536 + down[4]!, Math.floor((T0 + 3_600_000) / 1000), 'stamped at the last save before the cut (the last pulse)');
  request(1, { fc: 0x06, address: 16, value: 0 });
  t.is(input(1, 25, 1)[0], EVENT.POWER_UP);
  t.true(sim.trueState(1).relayClosed, 'relay intent restored');
});

test('a relay opened for non-payment stays open through a power cut', (t) => {
  const { clock, request, meter } = prepaidSim(1, {
    meters: [{ units: 'all', load: { type: 'constant', watts: 2000 }, energyImportWh: 0, faults: [{ type: 'powerLoss', from: 7_200_000, until: 7_260_000 }] }],
  });
  request(1, { fc: 0x10, address: 8, values: [0, 0, 0, 1000] });
  clock.advance(10_000_000);
  const st = meter(1).trueState();
  t.is(meter(1).boots, 2);
  t.false(st.relayClosed);
  t.is(st.snapshot.energyImportWh, 1000);
  t.is(st.firmware.relayState, RELAY.DISCONNECTED);
});

test('cover fault latches tamper; bypass (load metered with the relay open) latches bypass', (t) => {
  const { clock, sim, request, input } = prepaidSim(2, { meters: [{ units: 'all', load: { type: 'constant', watts: 3000 } }] });
  sim.addFault(1, { type: 'coverOpen', until: 60_000 });
  clock.advance(120_000);
  t.is(input(1, 20, 1)[0]! & STATUS.COVER_TAMPER, STATUS.COVER_TAMPER);
  request(2, { fc: 0x05, address: 1, value: false });
  sim.addFault(2, { type: 'bypass' });
  clock.advance(60_000);
  t.is(input(2, 20, 1)[0]! & STATUS.BYPASS, STATUS.BYPASS);
  request(1, { fc: 0x05, address: 2, value: true });
  t.is(input(1, 20, 1)[0]! & STATUS.COVER_TAMPER, 0);
});

test('voltage, current, power and frequency come from the physics through the board\'s metering module', (t) => {
  const { clock, sim, input } = prepaidSim(1, { meters: [{ units: 'all', load: { type: 'constant', watts: 2300 } }] });
  clock.advance(30_000);
  const w = input(1, 5, 7);
  const snap = sim.trueState(1).snapshot;
  t.true(Math.abs(w[0]! / 10 - snap.voltage[0]!) <= 0.1);
  t.true(Math.abs((w[1]! * 65536 + w[2]!) / 1000 - snap.current[0]!) <= 0.001);
  t.is(w[3]! * 65536 + w[4]!, 2300);
  t.true(Math.abs(w[6]! / 100 - snap.frequency) <= 0.1);
});

test('broadcast writes reach every firmware meter; the control API relay switch commands the firmware', (t) => {
  const { sim, input, meter } = prepaidSim(3);
  t.is(sim.bus.handleRtu(encodeRtu(0, encodeRequest({ fc: 0x06, address: 15, value: 1 }))), undefined);
  for (const u of [1, 2, 3]) t.is(meter(u).firmware!.core.state.settings.reconnectMode, 1);
  sim.setRelay(2, false);
  t.false(sim.trueState(2).relayClosed);
  t.is(input(2, 21, 1)[0], RELAY.DISCONNECTED);
  sim.setRelay(2, true); // reconnectMode 1: armed only
  t.is(input(2, 21, 1)[0], RELAY.READY);
  t.false(sim.trueState(2).relayClosed);
});
