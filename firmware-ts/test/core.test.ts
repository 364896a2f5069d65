/** The pure meter logic: energy, relay state machine, credit flags, watchdog, tamper, debounce. */
import { ManualClock } from '@prepaid-edge/protocols';
import test from 'ava';
import fc from 'fast-check';
import {
  addPulse,
  backupDisconnect,
  creditFlags,
  Debouncer,
  EVENT,
  freshState,
  localTestClose,
  localTestOpen,
  manualReconnect,
  MeterCore,
  OPEN_REASON,
  rearmAfterTopUp,
  RELAY,
  remoteCommand,
  STATUS,
  type CoreConfig,
  type RelayStatus,
  type Settings,
} from '../src/index.js';

const CFG: CoreConfig = {
  serialNumber: 1,
  impulsesPerKwh: 1000,
  gatewayWatchdogMs: 900_000,
  eventLogCapacity: 100,
  localLowCreditWh: 500,
  bypassGraceMs: 3000,
  moduleStaleMs: 5000,
  sts: { decoderKey: undefined, baseDate: 1993 },
};
const T0 = Date.UTC(2026, 0, 1);

function core(cfg: Partial<CoreConfig> = {}, relay: 'connected' | 'disconnected' = 'connected') {
  const clock = new ManualClock({ now: 0, monotonic: 0 });
  const state = freshState({ initialEnergyWh: 0, initialRelay: relay, line: { unitId: 1, baudRate: 9600, parity: 'none' }, clockSet: true });
  const c = new MeterCore(state, { config: { ...CFG, ...cfg }, clock, rtc: () => T0 + clock.now() });
  return { c, clock, types: () => c.state.events.log.map((e) => e.type) };
}

test('pulses add up to exact Wh for any impulse rate, the remainder carried, never lost', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 0, max: 5000 }), (imp, n) => {
      let wh = 0;
      let residue = 0;
      for (let i = 0; i < n; i++) ({ wh, residue } = addPulse(wh, residue, imp));
      return wh === Math.floor((n * 1000) / imp) && residue === (n * 1000) % imp;
    }),
  );
  t.deepEqual(addPulse(0, 0, 800), { wh: 1, residue: 200 }); // 1.25 Wh per pulse
  t.deepEqual(addPulse(1, 200, 800), { wh: 2, residue: 400 });
});

test('relay: remote open/close, arm-only mode, customer button, refusals', (t) => {
  const connected: RelayStatus = { state: RELAY.CONNECTED, command: 1, openReason: 0 };
  const open = remoteCommand(connected, false, false, false);
  t.true(open.ok);
  if (!open.ok) return;
  t.deepEqual(open.next, { state: RELAY.DISCONNECTED, command: 0, openReason: OPEN_REASON.REMOTE });
  t.deepEqual(open.event, { type: EVENT.RELAY_OPENED, value: 1 });
  const arm = remoteCommand(open.next, true, true, false);
  t.true(arm.ok && arm.next.state === RELAY.READY && arm.event?.type === EVENT.ARMED);
  if (!arm.ok) return;
  const press = manualReconnect(arm.next);
  t.true(press.ok && press.next.state === RELAY.CONNECTED && press.event?.value === 2);
  t.false(manualReconnect(open.next).ok, 'the button does nothing unless armed');
  t.false(remoteCommand(open.next, true, false, true).ok, 'no close while the backup threshold is reached');
  t.false(localTestOpen(open.next).ok, 'relay test never starts from an open relay');
  const test1 = localTestOpen(connected);
  t.true(test1.ok);
  if (test1.ok) t.true(localTestClose(test1.next, false).ok);
  t.false(localTestClose(open.next, false).ok, 'relay test closes only what it opened');
});

test('property: no input but a remote close (or the button after an arm) ever closes an open relay', (t) => {
  type Input = 'open' | 'button' | 'threshold' | 'rearm' | 'testOpen' | 'testClose';
  const inputs: Input[] = ['open', 'button', 'threshold', 'rearm', 'testOpen', 'testClose'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...inputs), { maxLength: 30 }), (seq) => {
      let s: RelayStatus = { state: RELAY.DISCONNECTED, command: 0, openReason: OPEN_REASON.BACKUP_THRESHOLD };
      let armedByTopUp = false;
      for (const i of seq) {
        const step =
          i === 'open' ? remoteCommand(s, false, false, false)
          : i === 'button' ? manualReconnect(s)
          : i === 'threshold' ? backupDisconnect(s)
          : i === 'rearm' ? rearmAfterTopUp(s)
          : i === 'testOpen' ? localTestOpen(s)
          : localTestClose(s, false);
        if (!step.ok) continue;
        if (i === 'rearm') armedByTopUp = true;
        if (step.next.state === RELAY.CONNECTED && !(i === 'button' && armedByTopUp) && i !== 'testClose') return false;
        s = step.next;
      }
      return true;
    }),
  );
  t.pass();
});

test('credit flags follow the balance; emergency credit moves the exhausted floor and ends when repaid', (t) => {
  const s: Settings = { creditBalance: 1000, lowCreditThreshold1: 500, lowCreditThreshold2: 100, emergencyCreditLimit: 300, backupDisconnectThreshold: 0, creditDecimals: 2, reconnectMode: 0 };
  t.is(creditFlags(s, false), 0);
  t.is(creditFlags({ ...s, creditBalance: 500 }, false), STATUS.LOW_CREDIT);
  t.is(creditFlags({ ...s, creditBalance: 0 }, false), STATUS.LOW_CREDIT | STATUS.LOW_CREDIT_2 | STATUS.CREDIT_EXHAUSTED);
  t.is(creditFlags({ ...s, creditBalance: -200 }, true), STATUS.LOW_CREDIT | STATUS.LOW_CREDIT_2);
  t.is(creditFlags({ ...s, creditBalance: -300 }, true) & STATUS.CREDIT_EXHAUSTED, STATUS.CREDIT_EXHAUSTED);
  t.is(creditFlags({ ...s, lowCreditThreshold1: 0, lowCreditThreshold2: 0, creditBalance: 1 }, false), 0, 'threshold 0 = warning off');

  const { c, types } = core();
  const w = (name: keyof Settings, address: number, value: number) => c.writeHolding([{ name, address, value }]);
  w('lowCreditThreshold1', 2, 500);
  w('emergencyCreditLimit', 6, 300);
  w('creditBalance', 0, 2000);
  t.false(c.requestEmergencyCredit().ok, 'not granted while in credit');
  w('creditBalance', 0, 400);
  t.true((c.status() & STATUS.LOW_CREDIT) !== 0);
  t.true(c.requestEmergencyCredit().ok);
  t.false(c.requestEmergencyCredit().ok, 'not twice');
  w('creditBalance', 0, -250);
  t.is(c.status() & (STATUS.CREDIT_EXHAUSTED | STATUS.EMERGENCY_CREDIT), STATUS.EMERGENCY_CREDIT);
  w('creditBalance', 0, 5000); // top-up repays
  t.is(c.status() & (STATUS.EMERGENCY_CREDIT | STATUS.LOW_CREDIT), 0);
  t.deepEqual(types().filter((x) => x !== EVENT.SETTING_CHANGED), [EVENT.LOW_CREDIT_1, EVENT.LOW_CREDIT_1, EVENT.EMERGENCY_CREDIT]);
  t.deepEqual(
    c.state.events.log.filter((e) => e.type === EVENT.SETTING_CHANGED).map((e) => e.value),
    [2, 6],
    'setting changed logs the holding address; creditBalance writes are not settings',
  );
});

test('backup threshold: the relay opens at the pulse that reaches it; close refused until a top-up', (t) => {
  const { c, clock } = core();
  c.writeHolding([{ name: 'backupDisconnectThreshold', address: 8, value: 3 }]);
  for (let i = 0; i < 2; i++) c.pulse();
  t.is(c.state.relay.state, RELAY.CONNECTED);
  c.pulse();
  t.is(c.state.relay.state, RELAY.DISCONNECTED);
  t.is(c.state.relay.openReason, OPEN_REASON.BACKUP_THRESHOLD);
  t.is(c.state.relay.command, 0);
  t.false(c.remoteRelay(true).ok);
  c.writeHolding([{ name: 'backupDisconnectThreshold', address: 8, value: 100 }]);
  t.is(c.state.relay.state, RELAY.DISCONNECTED, 'a gateway raising the threshold does not close by itself');
  t.true(c.remoteRelay(true).ok);
  t.is(c.state.relay.state, RELAY.CONNECTED);
  // pulses while open (after the grace time) are a bypass
  c.remoteRelay(false);
  clock.advance(5000);
  c.pulse();
  t.is(c.status() & STATUS.BYPASS, 0);
  clock.advance(1000);
  c.pulse();
  t.is(c.status() & STATUS.BYPASS, STATUS.BYPASS);
  c.clearTamper();
  t.is(c.status() & STATUS.BYPASS, 0);
  t.is(c.state.events.log.at(-1)!.type, EVENT.TAMPER_CLEARED);
  t.is(c.state.events.log.at(-1)!.value, STATUS.BYPASS);
});

test('standalone mode: entered when the watchdog expires (stamped then), left with the seconds spent', (t) => {
  const { c, clock } = core({ gatewayWatchdogMs: 60_000 });
  c.gatewayRequest();
  clock.advance(59_999);
  c.tick();
  t.false(c.standalone);
  clock.advance(300_001); // noticed late: still stamped at expiry
  c.tick();
  t.true(c.standalone);
  const entered = c.state.events.log.at(-1)!;
  t.is(entered.type, EVENT.STANDALONE_ENTERED);
  t.is(entered.ts, Math.floor((T0 + 60_000) / 1000));
  c.gatewayRequest();
  const left = c.state.events.log.at(-1)!;
  t.deepEqual([left.type, left.value], [EVENT.STANDALONE_LEFT, 300]);
  t.false(c.standalone);
});

test('tamper latches once per opening kind and is stamped; a clock write logs the seconds moved', (t) => {
  const { c, clock, types } = core();
  c.coverOpened();
  c.coverOpened();
  c.magneticField();
  t.is(c.status() & (STATUS.COVER_TAMPER | STATUS.MAGNETIC_TAMPER), STATUS.COVER_TAMPER | STATUS.MAGNETIC_TAMPER);
  t.deepEqual(types(), [EVENT.COVER_OPENED, EVENT.MAGNETIC_FIELD]);
  clock.advance(1000);
  const now = Math.floor((T0 + 1000) / 1000);
  c.writeHolding([{ name: 'clock', address: 12, value: now + 3600 }]);
  t.deepEqual([c.state.events.log.at(-1)!.type, c.state.events.log.at(-1)!.value], [EVENT.CLOCK_SET, 3600]);
  t.is(Math.floor(c.meterTimeMs() / 1000), now + 3600);
});

test('event log keeps the newest N with contiguous sequence numbers', (t) => {
  const { c } = core({ eventLogCapacity: 10 });
  for (let i = 0; i < 25; i++) c.writeHolding([{ name: 'emergencyCreditLimit', address: 6, value: i + 1 }]);
  t.is(c.state.events.counter, 25);
  t.deepEqual(
    c.state.events.log.map((e) => e.seq),
    [16, 17, 18, 19, 20, 21, 22, 23, 24, 25],
  );
});

test('debouncer: bounce inside the lockout is dropped, a held change counts when it settles', (t) => {
  const seen: Array<[number, number]> = [];
  const d = new Debouncer(5, 1, (lvl, at) => seen.push([lvl, at]));
  d.feed(0, 100); // pulse on (active low)
  d.feed(1, 101); // bounce
  d.feed(0, 102); // back: bounce dropped
  d.feed(1, 130); // pulse off
  d.feed(0, 132); // too soon after the accepted change: held
  d.settle(140); // stayed: counts, stamped when it began
  t.deepEqual(seen, [
    [0, 100],
    [1, 130],
    [0, 132],
  ]);
  t.is(d.bounces, 1);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 5, max: 500 }), { maxLength: 200 }), (gaps) => {
      let n = 0;
      let at = 0;
      let lvl: 0 | 1 = 1;
      const dd = new Debouncer(5, 1, () => n++);
      for (const g of gaps) {
        at += g;
        lvl = lvl === 1 ? 0 : 1;
        dd.feed(lvl, at);
      }
      return n === gaps.length;
    }),
  );
});
