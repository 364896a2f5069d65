/** The maintenance console's line protocol against a firmware on the virtual board. */
import test from 'ava';
import fc from 'fast-check';
import { ConsoleSession, RELAY } from '../src/index.js';
import { rig, stsVectors } from './helpers/rig.js';

function session() {
  const v = stsVectors();
  const key = v.tokens[0]!.decoder_key_hex;
  const r = rig({ config: { sts: { decoderKey: key, baseDate: 1993 } } });
  const s = new ConsoleSession(r.fw.consoleTarget(), { pin: '2468', maxFailures: 3, lockoutMs: 60_000, clock: r.clock });
  return { r, s, v };
}

test('everything but help and login needs the PIN; wrong PINs lock the console for a while', (t) => {
  const { r, s } = session();
  t.deepEqual(s.handle('status'), ['ERR login required']);
  t.is(s.handle('help').at(-1), 'OK');
  t.deepEqual(s.handle('login 1111'), ['ERR wrong pin']);
  t.deepEqual(s.handle('login 1112'), ['ERR wrong pin']);
  t.deepEqual(s.handle('login 1113'), ['ERR wrong pin, console locked']);
  t.regex(s.handle('login 2468')[0]!, /^ERR locked for 60 s$/);
  r.clock.advance(60_000);
  t.deepEqual(s.handle('login 2468'), ['OK']);
  t.is(s.handle('status').at(-1), 'OK');
  t.deepEqual(s.handle('logout'), ['OK']);
  t.deepEqual(s.handle('energy'), ['ERR login required']);
});

test('status, energy, balance, events, token, relay test, set address/baud', (t) => {
  const { r, s, v } = session();
  s.handle('login 2468');
  r.pulse(7);
  t.true(s.handle('energy').includes('energyImportWh=5007'));
  t.true(s.handle('status').includes('relayState=connected'));
  t.true(s.handle('balance').includes('creditBalance=0.00'));
  const token = v.tokens[0]!.token;
  t.deepEqual(s.handle(`token ${token.slice(0, 4)} ${token.slice(4)}`), ['accepted=credit wh=100 tid=5871715', 'OK']);
  t.deepEqual(s.handle(`token ${token}`), ['rejected=used detail=token already used', 'ERR token rejected']);
  t.deepEqual(s.handle('relay test'), ['relay test started', 'OK']);
  t.false(r.board.relayClosed);
  r.clock.advance(3000);
  r.fw.tick();
  t.true(r.board.relayClosed, 'closed again after the test time');
  t.is(r.fw.core.state.relay.state, RELAY.CONNECTED);
  t.regex(s.handle('events 2')[0]!, /^seq=\d+ type=2 ts=\d+ value=3$/);
  t.deepEqual(s.handle('set address 17'), ['OK']);
  t.deepEqual(s.handle('set baud 19200 even'), ['OK']);
  t.like(r.fw.core.state.line, { unitId: 17, baudRate: 19200, parity: 'even' });
  t.deepEqual(s.handle('set address 300'), ['ERR address must be 1-247']);
  t.deepEqual(s.handle('set baud 12345'), ['ERR baud must be one of 1200 2400 4800 9600 19200 38400 57600 115200']);
  r.request({ fc: 0x05, address: 1, value: false });
  t.deepEqual(s.handle('relay test'), ['ERR relay test needs a connected relay (it never closes an open one)']);
});

test('fuzz: any line gets a reply ending in OK or ERR (or nothing for a blank line), never a throw', (t) => {
  const { s } = session();
  s.handle('login 2468');
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('events', 'set', 'relay', 'token', 'tamper').chain((c) => fc.string().map((x) => `${c} ${x}`))), (line) => {
      if (/^(logout|login)\b/i.test(line.trim())) return true;
      const out = s.handle(line);
      return line.trim() === '' ? out.length === 0 : /^(OK|ERR)/.test(out.at(-1)!);
    }),
    { numRuns: 1000 },
  );
  t.pass();
});
