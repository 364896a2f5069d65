/**
 * The firmware through johnny-five on the virtual board: the LCD text the driver writes, STS tokens
 * typed on the 4x4 keypad (shared/vectors/sts, decoder key from DKGA-02 for the vectors' meter),
 * the relay drivers (one contract, three kinds of relay), buzzer and LEDs, tamper switches, the
 * metering module, and a power cycle.
 */
import test from 'ava';
import { decodeBlock, loadProfile, planReads } from '@prepaid-edge/protocols';
import { checkPinMap, EVENT, RELAY, STATUS, virtualPinMap, type PinMap } from '../src/index.js';
import { rig, stsVectors, VECTORS_PAN, vectorsDecoderKey, words64 } from './helpers/rig.js';

const v = stsVectors();
const PAN = VECTORS_PAN;
const decoderKey = vectorsDecoderKey(v);
const stsConfig = { meterNumber: PAN, sts: { decoderKey, baseDate: 1993 } };

test('the LCD shows balance, energy and relay state as written through johnny-five', (t) => {
  const r = rig({ config: { initialEnergyWh: 12_345 } });
  t.deepEqual(r.board.lcdLines(), ['BAL 0.00       X', '12.3kWh       ON']);
  r.request({ fc: 0x10, address: 0, values: [0, 12_345] });
  r.pulse(100);
  t.deepEqual(r.board.lcdLines(), ['BAL 123.45      ', '12.4kWh       ON']);
  r.request({ fc: 0x05, address: 1, value: false });
  t.is(r.board.lcdLines()[1], '12.4kWh      OFF');
});

test('keypad: the vectors\' electricity tokens are accepted once, the others refused, on the display', async (t) => {
  const r = rig({ config: { ...stsConfig, initialEnergyWh: 10_000 } });
  const elec = v.tokens.filter((x) => x.meter_pan === PAN && x.token_subclass === 0);
  await r.typeKeys(`${elec[0]!.token}#`);
  t.deepEqual(r.board.lcdLines(), ['TOKEN ACCEPTED  ', '+0.1 kWh        ']);
  t.is(r.fw.core.state.settings.backupDisconnectThreshold, 10_100);
  await r.typeKeys(`${elec[1]!.token}#`);
  t.is(r.fw.core.state.settings.backupDisconnectThreshold, 11_100);
  await r.typeKeys(`${elec[0]!.token}#`);
  t.deepEqual(r.board.lcdLines(), ['TOKEN REJECTED  ', 'ALREADY USED    ']);
  const water = v.tokens.find((x) => x.meter_pan === PAN && x.token_subclass === 1)!;
  await r.typeKeys(`${water.token}#`);
  t.is(r.board.lcdLines()[1], 'WRONG SERVICE   ');
  const other = v.tokens.find((x) => x.meter_pan !== PAN)!;
  await r.typeKeys(`${other.token}#`);
  t.is(r.board.lcdLines()[1], 'INVALID TOKEN   ');
  await r.typeKeys(`${v.class1[0]!.token}#`);
  t.is(r.board.lcdLines()[0], 'TEST TOKEN OK   ');
  t.is(r.fw.core.state.settings.backupDisconnectThreshold, 11_100);
  t.deepEqual(r.fw.core.state.tids, elec.slice(0, 2).map((x) => parseInt(x.tid_minutes_hex, 16)).sort((a, b) => a - b));
  t.true(r.board.buzzerOn, 'results beep');
});

test('keypad editing: digits show as typed, * deletes, C clears, a short entry is refused', async (t) => {
  const r = rig({ config: stsConfig });
  await r.typeKeys('1234');
  t.deepEqual(r.board.lcdLines(), ['TOKEN       4/20', '1234            ']);
  await r.typeKeys('*');
  t.is(r.board.lcdLines()[1], '123             ');
  await r.typeKeys('C9#');
  t.deepEqual(r.board.lcdLines(), ['ENTER 20 DIGITS ', 'THEN #          ']);
  await r.typeKeys('D');
  t.deepEqual(r.board.lcdLines(), ['SN 12345678     ', 'ID1 9600N       ']);
});

test('standalone site: a token after the backup disconnect arms the relay, the customer button closes it', async (t) => {
  const r = rig({ config: { ...stsConfig, initialEnergyWh: 10_000 } });
  r.request({ fc: 0x10, address: 8, values: words64(10_005) });
  r.pulse(5);
  t.is(r.fw.core.state.relay.state, RELAY.DISCONNECTED);
  t.false(r.board.relayClosed);
  await r.pressButton();
  t.false(r.board.relayClosed, 'the button alone does not reconnect');
  const elec = v.tokens.filter((x) => x.meter_pan === PAN && x.token_subclass === 0);
  await r.typeKeys(`${elec[1]!.token}#`); // 1 kWh
  t.is(r.fw.core.state.relay.state, RELAY.READY);
  t.false(r.board.relayClosed);
  await r.pressButton();
  t.true(r.board.relayClosed);
  t.deepEqual(
    r.fw.events(3).map((e) => [e.type, e.value]),
    [[EVENT.RELAY_CLOSED, 2], [EVENT.ARMED, 0], [EVENT.SETTING_CHANGED, 8]],
  );
});

for (const relay of [
  { type: 'NO', pin: 8 },
  { type: 'NC', pin: 8 },
  { type: 'latching', setPin: 8, resetPin: 3, pulseMs: 80 },
] as const) {
  test(`relay driver contract (${relay.type}): the contact follows the meter's intent, across a power cycle`, (t) => {
    const pinMap: PinMap = checkPinMap({ ...virtualPinMap(), relay });
    const r = rig({ pinMap });
    t.true(r.board.relayClosed);
    r.request({ fc: 0x05, address: 1, value: false });
    t.false(r.board.relayClosed);
    r.clock.advance(200);
    r.fw.tick();
    if (relay.type === 'latching') t.deepEqual([r.board.outputLevel(8), r.board.outputLevel(3)], [0, 0], 'coil pulse ended');
    r.powerCycle();
    t.false(r.board.relayClosed, 'still open after power-up');
    r.request({ fc: 0x05, address: 1, value: true });
    t.true(r.board.relayClosed);
    r.powerCycle();
    t.true(r.board.relayClosed, 'closed again after power-up');
  });
}

test('low credit warns on the buzzer and LED once per crossing; tamper latches from a brief cover opening', (t) => {
  const r = rig();
  r.request({ fc: 0x10, address: 0, values: [0, 5000, 0, 1000] }); // balance 50.00, warn at 10.00
  r.clock.advance(1000); // the boot beep (balance 0 was "exhausted") ends
  r.fw.tick();
  t.false(r.board.buzzerOn);
  const beeps = r.board.beeps;
  t.false(r.board.led('lowCredit'));
  r.request({ fc: 0x10, address: 0, values: [0, 900] });
  t.true(r.board.led('lowCredit'));
  t.true(r.board.buzzerOn);
  t.is(r.board.beeps, beeps + 1);
  r.clock.advance(1000);
  r.fw.tick();
  t.false(r.board.buzzerOn);
  r.request({ fc: 0x10, address: 0, values: [0, 800] });
  t.is(r.board.beeps, beeps + 1, 'no new beep while still low');

  r.board.setCover(true);
  r.clock.advance(3);
  r.board.setCover(false);
  t.true(r.board.led('tamper'));
  t.is(r.fw.core.status() & STATUS.COVER_TAMPER, STATUS.COVER_TAMPER);
  t.true(r.board.lcdLines()[0]!.endsWith('TL'), 'tamper and low-credit flags on the display');
  r.board.setMagnet(true);
  t.is(r.fw.core.status() & STATUS.MAGNETIC_TAMPER, STATUS.MAGNETIC_TAMPER);
  r.request({ fc: 0x05, address: 2, value: true });
  t.false(r.board.led('tamper'));
});

test('S0: contact bounce inside the debounce is not counted, pulses at 20/s are', (t) => {
  const r = rig();
  const e0 = r.fw.core.state.energy.importWh;
  for (let i = 0; i < 20; i++) {
    r.clock.advance(40);
    r.board.s0(true);
    r.clock.advance(1);
    r.board.s0(false); // bounce
    r.clock.advance(1);
    r.board.s0(true);
    r.clock.advance(8);
    r.board.s0(false);
  }
  t.is(r.fw.core.state.energy.importWh - e0, 20);
  t.is(r.fw.hardware.s0.debouncer.bounces, 20);
});

test('the metering module (PZEM-004T on the board\'s serial port) feeds voltage, current, power, frequency', (t) => {
  let on = true;
  const r = rig({ meter: () => (on ? { voltage: 229.8, current: 10.5, power: 2300.4, energyWh: 4242, frequency: 50.1, powerFactor: 0.95 } : undefined) });
  t.like(r.fw.core.measurements(), { voltage: 229.8, current: 10.5, power: 2300, frequency: 50.1, powerFactor: 0.95 });
  on = false;
  for (let i = 0; i < 7; i++) {
    r.clock.advance(1000);
    r.fw.tick();
  }
  t.like(r.fw.core.measurements(), { voltage: null, current: null, powerFactor: null, frequency: null }, 'a silent module: not measured (not 0, not stale values)');
  // On the map: the profile's notAvailable raw values, which a master decodes as absent.
  const w = r.registers(0x04, 5, 7);
  t.deepEqual([w[0], w[1], w[2], w[5], w[6]], [0xffff, 0xffff, 0xffff, 0x8000, 0xffff], 'voltage, current (2 words), powerFactor, frequency');
  const values = decodeBlock(planReads(loadProfile('prepaid').registers.filter((d) => d.kind === 'input' && d.address >= 5 && d.address <= 11), { maxGap: 0 })[0]!, w);
  t.deepEqual(Object.keys(values).sort(), ['power'], 'only power (from the S0 pulses) is a value');
});

test('power cycle: energy, relay, events and settings survive; power down/up logged', (t) => {
  const r = rig();
  r.pulse(42);
  r.request({ fc: 0x06, address: 15, value: 1 });
  r.request({ fc: 0x05, address: 1, value: false });
  const before = structuredClone(r.fw.core.state);
  r.powerCycle(60_000);
  const s = r.fw.core.state;
  t.is(s.energy.importWh, 5042);
  t.deepEqual(s.relay, before.relay);
  t.is(s.settings.reconnectMode, 1);
  t.deepEqual(s.events.log.slice(0, -2), before.events.log);
  t.deepEqual(s.events.log.slice(-2).map((e) => e.type), [EVENT.POWER_DOWN, EVENT.POWER_UP]);
  t.false(r.board.relayClosed);
  t.is(r.fw.boot.restored, true);
});

test('energy from the metering module\'s register: increments counted, a module reset never runs the meter backwards', (t) => {
  let wh = 100;
  const r = rig({ config: { energySource: 'module' }, meter: () => ({ voltage: 230, current: 1, power: 230, energyWh: wh, frequency: 50, powerFactor: 1 }) });
  const e0 = r.fw.core.state.energy.importWh; // the first reading is the baseline, not consumption
  const poll = () => {
    r.clock.advance(1000);
    r.fw.tick();
  };
  wh = 130;
  poll();
  t.is(r.fw.core.state.energy.importWh, e0 + 30);
  wh = 5; // module replaced or reset
  poll();
  t.is(r.fw.core.state.energy.importWh, e0 + 30);
  wh = 12;
  poll();
  t.is(r.fw.core.state.energy.importWh, e0 + 37);
  r.pulse(5);
  t.is(r.fw.core.state.energy.importWh, e0 + 37, 'S0 pulses only estimate power when the module counts energy');
});

test("keypad 'A' while the gateway keeps emergency credit (local limit 0): logged as a request for the gateway, shown as requested", async (t) => {
  const r = rig({ config: { initialEnergyWh: 10_000 } });
  r.request({ fc: 0x10, address: 2, values: [0, 500] }); // lowCreditThreshold1 500
  r.request({ fc: 0x10, address: 0, values: [0, 400] }); // creditBalance 400: low credit
  await r.typeKeys('A');
  t.deepEqual(r.board.lcdLines(), ['EMERGENCY CREDIT', 'REQUESTED       ']);
  const last = r.fw.core.state.events.log.at(-1)!;
  t.is(last.type, EVENT.EMERGENCY_REQUESTED);
  t.false(r.fw.core.state.emergencyInUse, 'the meter grants nothing itself');
});
