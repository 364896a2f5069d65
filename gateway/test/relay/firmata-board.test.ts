/**
 * A GPIO relay on a Firmata board over a real serial line: the gateway's `firmata:PATH` board
 * (openFirmata: firmata-io on our serialport 13) on one end of a socat pty, an emulated Uno running
 * StandardFirmata on the other. Relay pin 8, its feedback contact on pin 9, the reconnect button on
 * pin 4 (pull-up, pressed = low).
 */
import test from 'ava';
import { createRequire } from 'node:module';
import { SerialPort } from 'serialport';
import { closeFirmata, openFirmata, type FirmataIo } from '@prepaid-edge/firmware';
import { isPrepaidError } from '@prepaid-edge/protocols';
import { openBoards } from '../../src/adapters/relay/boards.js';
import { J5Relay } from '../../src/adapters/relay/j5-relay.js';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { FirmataDevice } from '../helpers/firmata-device.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { waitFor } from './helpers.js';

const withSocat = testWith(['socat']);
const RELAY = 8;
const FEEDBACK = 9;
const BUTTON = 4;

function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 57_600, autoOpen: false });
  return new Promise((resolve, reject) => port.open((e) => (e ? reject(e) : resolve(port))));
}

const closePort = (p: SerialPort): Promise<void> => new Promise((r) => (p.isOpen ? p.close(() => r()) : r()));

withSocat('a relay on a Firmata board over a pty: close, trip and the button of an armed relay, verified by the feedback contact', async (t) => {
  const pty = await ptyPair();
  const devicePort = await openPort(pty.b);
  const device = new FirmataDevice(devicePort);
  device.onOutput = (pin, level) => pin === RELAY && device.drive(FEEDBACK, level); // the auxiliary contact follows the coil
  let io: FirmataIo | undefined;
  t.teardown(async () => {
    if (io) await closeFirmata(io);
    device.stop();
    await closePort(devicePort);
    await pty.close();
  });

  const started = Date.now();
  const boards = await openBoards([{ id: 'b1', io: `firmata:${pty.a}` }]);
  const board = boards.get('b1')!;
  io = board.io as unknown as FirmataIo;
  t.true(board.isReady);
  t.is(io.name, 'Firmata');
  t.true(Date.now() - started < 5_000, `handshake took ${Date.now() - started} ms (the board announced itself: no 5 s version timeout)`);

  const localCloses: string[] = [];
  const relay = new J5Relay('gpio-1', board, { pin: RELAY, feedbackPin: FEEDBACK, buttonPin: BUTTON, onLocalClose: (s) => localCloses.push(s.state) });
  await waitFor(async () => (await relay.read().then(() => true, () => false)), 'the feedback pin to report', 3_000);
  t.is(device.modes.get(RELAY), 0x01, 'relay pin set to OUTPUT over the wire');
  t.is(device.modes.get(BUTTON), 0x00, 'button pin set to INPUT over the wire');
  t.true(device.pullups.has(BUTTON), "and its pull-up enabled (johnny-five's high write to an input)");

  const closed = await relay.set('connected', 'test');
  t.is(closed.state, 'connected');
  t.like(closed.raw, { readback: 'feedback', level: 1 });
  t.is(device.outputs.get(RELAY), 1);

  const open = await relay.set('disconnected', 'test');
  t.is(open.state, 'disconnected');
  t.is(device.outputs.get(RELAY), 0);

  const armed = await relay.set('ready-for-reconnection', 'test');
  t.is(armed.state, 'ready-for-reconnection');
  t.is(device.outputs.get(RELAY), 0, 'armed: still open until the customer presses');
  device.drive(BUTTON, 0);
  await waitFor(() => device.outputs.get(RELAY) === 1, 'the button press to close the relay');
  device.drive(BUTTON, undefined);
  await waitFor(() => localCloses.length === 1, 'onLocalClose');
  // the feedback contact's report comes back over the line after the write: wait for it
  await waitFor(async () => (await relay.read()).state === 'connected', 'the feedback contact to report the close');
  t.deepEqual(device.writes.filter((w) => w.pin === RELAY).map((w) => w.level), [1, 0, 1]);

  const loaded = Object.keys(createRequire(import.meta.url).cache);
  t.false(loaded.some((f) => /node_modules\/firmata\/|johnny-five\/node_modules\/serialport/.test(f)), 'the firmata package and serialport 8 are never loaded');
});

withSocat('a port where nothing speaks Firmata: rejected after the ready timeout, naming the port, and the port is released', async (t) => {
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  const silent = await openPort(pty.b);
  t.teardown(() => closePort(silent));
  const err = await t.throwsAsync(openFirmata(pty.a, { readyTimeoutMs: 400, reportVersionTimeoutMs: 100 }));
  t.is(err?.message, `firmata ${pty.a}: no Firmata handshake within 400 ms (is StandardFirmata flashed?)`);
  const again = await openPort(pty.a); // serialport locks the device: this opens only if openFirmata closed it
  await closePort(again);
  t.pass();
});

test('a board whose serial port does not exist: E_BUS_UNAVAILABLE naming the board and the port', async (t) => {
  const err = await t.throwsAsync(openBoards([{ id: 'b1', io: 'firmata:/dev/nonexistent-prepaid-tty' }]));
  t.true(isPrepaidError(err));
  t.is((err as { code?: string }).code, 'E_BUS_UNAVAILABLE');
  t.regex(err!.message, /^board b1: firmata \/dev\/nonexistent-prepaid-tty: cannot open the serial port/);
});
