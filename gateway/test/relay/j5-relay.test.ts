/**
 * The relay contract against a relay on a johnny-five board pin, on the firmware's virtual board
 * (its in-memory IO plugin plus a relay contact model, feedback contact and button).
 */
import test from 'ava';
import five, { type Board } from 'johnny-five';
import { VirtualBoard, type PinMap } from '@prepaid-edge/firmware';
import type { PrepaidError } from '@prepaid-edge/protocols';
import { J5Relay, type J5RelayOptions } from '../../src/adapters/relay/j5-relay.js';
import type { RelayDriverOptions } from '../../src/adapters/relay/verified-set.js';
import { relayContract, type RelayFixture } from './relay-contract.js';
import { waitFor } from './helpers.js';

const RELAY = 8;
const FEEDBACK = 9;
const BUTTON = 4;

interface Wiring {
  activeLow: boolean;
  feedback: boolean;
  button: boolean;
}

function boardFor(w: Wiring) {
  const pinMap: PinMap = {
    s0: { pin: 2, activeLow: true, pullup: false },
    // an active-low module closes its contact on a low pin: the NC contact model does exactly that
    relay: { type: w.activeLow ? 'NC' : 'NO', pin: RELAY },
    ...(w.feedback ? { relayFeedback: { pin: FEEDBACK, activeLow: w.activeLow, pullup: false } } : {}),
    ...(w.button ? { button: { pin: BUTTON, activeLow: true, pullup: true } } : {}),
  };
  const vboard = new VirtualBoard({ pinMap });
  const io = vboard.powerOn();
  let relayWrites = 0;
  const write = io.digitalWrite.bind(io);
  io.digitalWrite = (pin, value) => {
    if (pin === RELAY) relayWrites++;
    return write(pin, value);
  };
  const board = new five.Board({ io, repl: false, debug: false, sigint: false });
  return { vboard, board, writes: () => relayWrites };
}

function setupFor(w: Wiring, extra: Partial<J5RelayOptions> = {}) {
  return async (opts: RelayDriverOptions): Promise<RelayFixture & { vboard: VirtualBoard; board: Board }> => {
    const { vboard, board, writes } = boardFor(w);
    const driver = new J5Relay('gpio-1', board, {
      ...opts,
      pin: RELAY,
      activeLow: w.activeLow,
      settleMs: 0,
      ...(w.feedback ? { feedbackPin: FEEDBACK, feedbackActiveLow: w.activeLow } : {}),
      ...(w.button ? { buttonPin: BUTTON } : {}),
      ...extra,
    });
    return {
      vboard,
      board,
      driver,
      contactClosed: () => vboard.relayClosed,
      // a welded contact: the coil pin changes, the contact does not
      stick: () => void (vboard.relay.onOutput = () => false),
      pressButton: async () => {
        vboard.setButton(true);
        await waitFor(() => vboard.relayClosed, 'the button to close the relay'); // johnny-five debounces 7 ms
        vboard.setButton(false);
      },
      commands: writes,
      close: async () => vboard.powerOff(),
    };
  };
}

relayContract({ name: 'GPIO relay, feedback and button', arm: 'real', refuses: false, detectsStuck: true, setup: setupFor({ activeLow: false, feedback: true, button: true }) });
relayContract({ name: 'GPIO relay active-low, feedback, no button', arm: 'unsupported', refuses: false, detectsStuck: true, setup: setupFor({ activeLow: true, feedback: true, button: false }) });
relayContract({ name: 'GPIO relay without feedback', arm: 'unsupported', refuses: false, detectsStuck: false, setup: setupFor({ activeLow: false, feedback: false, button: false }) });

const quiet = { sleep: async () => {} };

test('GPIO without feedback: the state is unknown until the first command, then it is the commanded one', async (t) => {
  const f = await setupFor({ activeLow: false, feedback: false, button: false })(quiet);
  t.teardown(f.close);
  const e = (await t.throwsAsync(f.driver.read())) as PrepaidError;
  t.is(e.code, 'E_RELAY_UNSUPPORTED');
  // a restart does not take the unknown relay for the one it wants: the trip is driven
  await f.driver.set('disconnected', 'boot');
  t.is(f.commands(), 1);
  await f.stick(); // welded: nothing here can see it
  const s = await f.driver.set('connected', 'top-up');
  t.is(s.state, 'connected');
  t.like(s.raw, { readback: 'commanded', commanded: true });
  t.false(f.vboard.relayClosed, 'the limit of a relay without feedback: the contact did not move');
});

test('GPIO: active-low drives the pin low to close', async (t) => {
  const f = await setupFor({ activeLow: true, feedback: true, button: false })(quiet);
  t.teardown(f.close);
  await f.driver.set('connected', 'x');
  t.is(f.vboard.outputLevel(RELAY), 0);
  t.true(f.vboard.relayClosed);
  await f.driver.set('disconnected', 'y');
  t.is(f.vboard.outputLevel(RELAY), 1);
});

test('GPIO: the button closes only an armed relay, and tells the hook', async (t) => {
  const closes: string[] = [];
  const f = await setupFor({ activeLow: false, feedback: true, button: true }, { onLocalClose: (s) => closes.push(s.state) })(quiet);
  t.teardown(f.close);
  await f.driver.set('disconnected', 'exhausted');
  // pressing while merely disconnected does nothing (a second Button on the pin proves the press was seen)
  const witness = new five.Button({ board: f.board, pin: BUTTON, isPullup: true, invert: true });
  const seen = new Promise((r) => witness.once('press', r));
  f.vboard.setButton(true);
  await seen;
  f.vboard.setButton(false);
  t.false(f.vboard.relayClosed);
  t.deepEqual(closes, []);
  await f.driver.set('ready-for-reconnection', 'top-up');
  await f.pressButton!();
  t.deepEqual(closes, ['connected']);
  t.is((await f.driver.read()).state, 'connected');
});

test('GPIO: with a feedback pin the readback waits settleMs (default 50 ms) after the command', async (t) => {
  const { board } = boardFor({ activeLow: false, feedback: true, button: false });
  const sleeps: number[] = [];
  const d = new J5Relay('gpio-1', board, { pin: RELAY, feedbackPin: FEEDBACK, sleep: async (ms) => void sleeps.push(ms) });
  await d.set('connected', 'x');
  t.deepEqual(sleeps, [50]);
});
