/**
 * Map revision 2 (protocols/profiles/revisions/prepaid-2.json, firmware config mapRevision: 2): keypad
 * credit in its own registers (tokenCreditTotal, tokenCreditBooked) instead of the backup threshold,
 * logged as event 19; the gateway's display message (gatewayMessage). Revision 1 is untouched.
 */
import test from 'ava';
import { encodeToken, EXCEPTION, loadProfileRevision } from '@prepaid-edge/protocols';
import { EVENT, RELAY } from '../src/index.js';
import { rig, u64, vectorsDecoderKey, words64 } from './helpers/rig.js';

const key = vectorsDecoderKey();
/** An electricity credit token of `tenths` x 0.1 kWh for the vectors' meter (the rig's default key). */
const credit = (tid: number, tenths: number): string => encodeToken({ class: 0, subclass: 0, random: tid % 16, tid, amountTenths: tenths }, key, { baseDate: 1993 });
const rev2 = () => rig({ config: { mapRevision: 2, sts: { decoderKey: key, baseDate: 1993 } } });
const holding = (r: ReturnType<typeof rig>) => r.registers(0x03, 0, 22);
const total = (r: ReturnType<typeof rig>) => u64(r.registers(0x04, 32, 4), 0);

test('revision 2 reads 2 and serves the added registers; revision 1 refuses them', (t) => {
  const r = rev2();
  t.is(r.registers(0x04, 1, 1)[0], 2);
  t.is(r.registers(0x04, 0, 36).length, 36, 'input 0-35 in one read');
  t.is(holding(r).length, 22, 'holding 0-21 in one read');
  const names = loadProfileRevision('prepaid', 2).registers.map((d) => d.name);
  t.deepEqual(names, ['tokenCreditTotal', 'tokenCreditBooked', 'gatewayMessage']);
  const old = rig({ config: { sts: { decoderKey: key, baseDate: 1993 } } });
  t.is(old.registers(0x04, 1, 1)[0], 1);
  t.like(old.request({ fc: 0x04, address: 32, count: 4 }), { exception: EXCEPTION.ILLEGAL_DATA_ADDRESS });
  t.like(old.request({ fc: 0x03, address: 17, count: 4 }), { exception: EXCEPTION.ILLEGAL_DATA_ADDRESS });
});

test('a keypad token adds to the token credit, not the threshold; the meter lets it through beyond the threshold', (t) => {
  const r = rev2();
  // The gateway's threshold: 5 Wh from the present 5000 Wh.
  r.request({ fc: 0x10, address: 8, values: words64(5005) });
  const before = r.fw.core.state.events.counter;
  t.true(r.fw.enterToken(credit(0x100001, 1)).ok, '0.1 kWh accepted');
  t.is(u64(holding(r), 8), 5005, 'threshold untouched');
  t.is(total(r), 100);
  t.is(u64(holding(r), 17), 0, 'nothing booked yet');
  const ev = r.fw.core.state.events.log.at(-1)!;
  t.like(ev, { seq: before + 1, type: EVENT.TOKEN_CREDIT, value: 100 });
  t.is(r.fw.core.localCreditWh, 105);
  r.pulse(104);
  t.true(r.fw.core.relayIntendedClosed, '104 Wh in: still on (threshold 5 + token 100)');
  r.pulse(1);
  t.false(r.fw.core.relayIntendedClosed, 'off at threshold + token credit');
});

test('the gateway takes the credit over by writing tokenCreditBooked (never above the total) and raising its threshold', (t) => {
  const r = rev2();
  r.request({ fc: 0x10, address: 8, values: words64(5005) });
  t.true(r.fw.enterToken(credit(0x100002, 2)).ok);
  t.is(total(r), 200);
  t.like(r.request({ fc: 0x10, address: 17, values: words64(201) }), { exception: EXCEPTION.SLAVE_DEVICE_FAILURE }, 'above the total: refused');
  // Booked in the ledger: the gateway's threshold now includes the 200 Wh, then it marks them taken over.
  r.request({ fc: 0x10, address: 8, values: words64(5205) });
  t.is(r.fw.core.localCreditWh, 405, 'between the two writes the meter lets more through, never less');
  r.request({ fc: 0x10, address: 17, values: words64(200) });
  t.is(u64(holding(r), 17), 200);
  t.is(r.fw.core.localCreditWh, 205);
  t.is(total(r), 200, 'the total never decreases');
});

test('with the threshold off or reached a token counts from the present energy', (t) => {
  const r = rev2();
  t.true(r.fw.enterToken(credit(0x100003, 1)).ok);
  t.is(r.fw.core.localCreditWh, 100, 'threshold was off: 100 Wh from now');
  r.pulse(100);
  t.false(r.fw.core.relayIntendedClosed);
  t.true(r.fw.enterToken(credit(0x100004, 1)).ok);
  t.is(r.fw.core.localCreditWh, 100, 'reached: the next token gives its own 100 Wh, not the used one again');
  t.is(r.fw.core.state.relay.state, RELAY.READY, 're-armed by the token (the button closes it)');
  t.is(total(r), 200);
});

test('token credit survives a power cut; the display shows the gateway message written to holding 21', (t) => {
  const r = rev2();
  r.request({ fc: 0x10, address: 8, values: words64(5005) });
  t.true(r.fw.enterToken(credit(0x100005, 3)).ok);
  r.request({ fc: 0x10, address: 17, values: words64(100) });
  r.powerCycle();
  t.is(total(r), 300);
  t.is(u64(r.registers(0x03, 17, 4), 0), 100);
  r.request({ fc: 0x06, address: 21, value: 1 });
  t.deepEqual(r.board.lcdLines(), ['TOKEN REFUSED   ', 'NO TARIFF       ']);
  t.is(r.registers(0x03, 21, 1)[0], 1);
  t.like(r.request({ fc: 0x06, address: 21, value: 4 }), { exception: EXCEPTION.ILLEGAL_DATA_VALUE });
});
