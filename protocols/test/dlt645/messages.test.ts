import test from 'ava';
import fc from 'fast-check';
import { Dlt645AbnormalError, expectNormalReply } from '../../src/dlt645/abnormal.js';
import { DLT645_ERROR_BITS, DLT645_RELAY_COMMAND, dlt645ErrorNames } from '../../src/dlt645/constants.js';
import { decodeFrame, encodeFrame } from '../../src/dlt645/frame.js';
import {
  encodeReadAddressRequest,
  encodeReadDataRequest,
  encodeReadFollowUpRequest,
  encodeRelayControlRequest,
  encodeTimeSync,
  encodeWriteDataRequest,
  parseDlt645Request,
} from '../../src/dlt645/requests.js';
import {
  encodeAbnormalReply,
  encodeReadAddressReply,
  encodeReadDataReply,
  encodeRelayControlReply,
  encodeWriteDataReply,
  parseReadAddressReply,
  parseReadDataReply,
  parseRelayControlReply,
  parseWriteDataReply,
} from '../../src/dlt645/replies.js';
import { dlt645DateTimeFromDate } from '../../src/dlt645/time.js';
import { PrepaidError } from '../../src/errors.js';
import { handFrame, hex, returnsOrPrepaidError, throwsCode } from './helpers.js';

const ADDR = '000000000001';
const noFe = { preamble: 0 };
const credentials = { level: 2, password: '123456', operator: '00000001' };

test('read data request for 00010000 is the reference frame', (t) => {
  t.is(hex(encodeReadDataRequest(ADDR, '00010000', noFe)), hex(handFrame('68 01 00 00 00 00 00 68 11 04 33 33 34 33')));
});

test('read follow-up request carries DI then SEQ', (t) => {
  t.is(hex(encodeReadFollowUpRequest(ADDR, '00010000', 2, noFe)), hex(handFrame('68 01 00 00 00 00 00 68 12 05 33 33 34 33 35')));
});

test('read address goes to AAAAAAAAAAAA; its reply 0x93 carries the address', (t) => {
  t.is(hex(encodeReadAddressRequest(noFe)), '68 AA AA AA AA AA AA 68 13 00 DF 16');
  // 123456789012 -> 12 90 78 56 34 12, +0x33 -> 45 C3 AB 89 67 45; CS by hand 07
  const reply = handFrame('68 12 90 78 56 34 12 68 93 06 45 C3 AB 89 67 45');
  t.is(reply[reply.length - 2], 0x07);
  t.is(hex(encodeReadAddressReply('123456789012', noFe)), hex(reply));
  t.deepEqual(parseReadAddressReply(decodeFrame(reply)), { ok: true, address: '123456789012' });
});

// Relay control, trip (N1 = 1A), password level 02 password 123456, operator 00000001,
// valid until 2024-06-30 23:59:59. Plain DATA: 02 56 34 12 | 01 00 00 00 | 1A 00 | 59 59 23 30 06 24.
const TRIP = '68 01 00 00 00 00 00 68 1C 10 35 89 67 45 34 33 33 33 4D 33 8C 8C 56 63 39 57';
const expiry = { year: 2024, month: 6, day: 30, hour: 23, minute: 59, second: 59 };

test('relay control 0x1C trip request is byte-exact (checksum 15 by hand)', (t) => {
  const b = encodeRelayControlRequest(ADDR, { command: 'trip', credentials, expiry }, noFe);
  t.is(hex(b), hex(handFrame(TRIP)));
  t.is(b[b.length - 2], 0x15);
  t.is(hex(encodeRelayControlRequest(ADDR, { command: 0x1a, credentials, expiry }, noFe)), hex(b));
});

test('relay control request parses back on the meter side', (t) => {
  t.deepEqual(parseDlt645Request(decodeFrame(handFrame(TRIP))), {
    kind: 'relayControl',
    address: ADDR,
    credentials: { level: 2, password: '123456', operator: '00000001' },
    command: 0x1a,
    commandName: 'trip',
    expiry,
  });
});

test('relay command codes: trip 1A, close-allowed 1B, close-directly 1C, alarm 2A/2B, keep-power 3A/3B', (t) => {
  t.deepEqual(DLT645_RELAY_COMMAND, {
    trip: 0x1a,
    closeAllowed: 0x1b,
    closeDirect: 0x1c,
    alarm: 0x2a,
    alarmRelease: 0x2b,
    keepPower: 0x3a,
    keepPowerRelease: 0x3b,
  });
  for (const command of Object.keys(DLT645_RELAY_COMMAND) as Array<keyof typeof DLT645_RELAY_COMMAND>) {
    const r = parseDlt645Request(decodeFrame(encodeRelayControlRequest(ADDR, { command, credentials, expiry })));
    t.is(r.kind === 'relayControl' ? r.commandName : undefined, command);
  }
});

test('relay control replies: 0x9C accepted, 0xDC refused with the error byte', (t) => {
  const ok = handFrame('68 01 00 00 00 00 00 68 9C 00');
  t.is(hex(encodeRelayControlReply(ADDR, noFe)), hex(ok));
  t.deepEqual(parseRelayControlReply(decodeFrame(ok)), { ok: true });
  // ERR = 04 (password wrong / unauthorised) -> 37 on the wire
  const refused = handFrame('68 01 00 00 00 00 00 68 DC 01 37');
  t.is(hex(encodeAbnormalReply(ADDR, 0x1c, DLT645_ERROR_BITS.passwordOrUnauthorized, noFe)), hex(refused));
  const r = parseRelayControlReply(decodeFrame(refused));
  t.deepEqual(r, { ok: false, functionCode: 0x1c, errorByte: 0x04, errors: ['passwordOrUnauthorized'] });
  const e = t.throws(() => expectNormalReply(r), { instanceOf: Dlt645AbnormalError });
  t.is(e?.code, 'E_DLT645_ERROR');
  t.is(e?.errorByte, 0x04);
  t.true(e instanceof PrepaidError);
});

test('read data: normal 0x91, follow-up 0xB1 / 0x92 with SEQ, abnormal 0xD1 (no requested data)', (t) => {
  const normal = parseReadDataReply(decodeFrame(encodeReadDataReply(ADDR, '00010000', Buffer.from([0x56, 0x34, 0x12, 0x00]))), '00010000');
  t.like(normal, { ok: true, di: '00010000', followUp: false, payloadOffset: 18 });
  const more = decodeFrame(encodeReadDataReply(ADDR, '00010000', Buffer.of(1), { followUp: true }));
  t.is(more.control, 0xb1);
  t.like(parseReadDataReply(more), { ok: true, followUp: true });
  const seq = decodeFrame(encodeReadDataReply(ADDR, '00010000', Buffer.of(9, 8), { seq: 3 }));
  t.is(seq.control, 0x92);
  const rs = parseReadDataReply(seq);
  t.true(rs.ok && rs.seq === 3 && hex(rs.payload) === '09 08');
  // ERR 02 -> 35 on the wire
  const abnormal = handFrame('68 01 00 00 00 00 00 68 D1 01 35');
  t.is(hex(encodeAbnormalReply(ADDR, 0x11, DLT645_ERROR_BITS.noRequestedData, noFe)), hex(abnormal));
  t.deepEqual(parseReadDataReply(decodeFrame(abnormal)), { ok: false, functionCode: 0x11, errorByte: 0x02, errors: ['noRequestedData'] });
});

test('error byte table names every bit; bit 7 is reserved', (t) => {
  t.deepEqual(dlt645ErrorNames(0x7f), [
    'other',
    'noRequestedData',
    'passwordOrUnauthorized',
    'baudRateUnchangeable',
    'tooManyYearZones',
    'tooManyDaySlots',
    'tooManyTariffs',
  ]);
  t.deepEqual(dlt645ErrorNames(0x80), []);
  t.regex(new Dlt645AbnormalError({ ok: false, functionCode: 0x11, errorByte: 0x80, errors: [] }).message, /no error bit set/);
});

test('reply parsers reject requests, other functions, short data and other DIs at the right offset', (t) => {
  const request = decodeFrame(encodeReadDataRequest(ADDR, '00010000', noFe));
  throwsCode(t, () => parseReadDataReply(request), 'E_FRAME_FUNCTION', 8);
  const relayOk = decodeFrame(encodeRelayControlReply(ADDR, noFe));
  throwsCode(t, () => parseReadDataReply(relayOk), 'E_FRAME_FUNCTION', 8);
  throwsCode(t, () => parseRelayControlReply(request), 'E_FRAME_FUNCTION', 8);
  throwsCode(t, () => parseReadDataReply(decodeFrame(handFrame('68 01 00 00 00 00 00 68 91 02 33 33'))), 'E_FRAME_SHORT', 12);
  throwsCode(t, () => parseReadDataReply(decodeFrame(handFrame('68 01 00 00 00 00 00 68 D1 00'))), 'E_FRAME_SHORT', 10);
  const energy = decodeFrame(encodeReadDataReply(ADDR, '00010000', Buffer.alloc(4), noFe));
  t.is(throwsCode(t, () => parseReadDataReply(energy, '02010100'), 'E_FRAME_VALUE', 10).context.path, 'di');
  throwsCode(t, () => parseReadAddressReply(decodeFrame(handFrame('68 01 00 00 00 00 00 68 93 01 33'))), 'E_FRAME_LENGTH', 9);
});

test('write data request and replies', (t) => {
  // Write 04001001 (low-balance alarm 1) = 30.00 yuan: DI 01 10 00 04, PA..C3, value 00 30 00 00.
  const b = encodeWriteDataRequest(ADDR, '04001001', credentials, Buffer.from([0x00, 0x30, 0x00, 0x00]), noFe);
  t.is(hex(b), hex(handFrame('68 01 00 00 00 00 00 68 14 10 34 43 33 37 35 89 67 45 34 33 33 33 33 63 33 33')));
  const req = parseDlt645Request(decodeFrame(b));
  t.like(req, { kind: 'writeData', di: '04001001', credentials });
  t.is(req.kind === 'writeData' ? hex(req.payload) : '', '00 30 00 00');
  t.deepEqual(parseWriteDataReply(decodeFrame(encodeWriteDataReply(ADDR))), { ok: true });
  t.like(parseWriteDataReply(decodeFrame(encodeAbnormalReply(ADDR, 0x14, 0x04))), { ok: false, errorByte: 0x04 });
});

test('broadcast time sync 0x08 to 999999999999 with ss mm hh DD MM YY', (t) => {
  const time = { year: 2024, month: 12, day: 15, hour: 12, minute: 30, second: 0 };
  const b = encodeTimeSync(time, noFe);
  t.is(hex(b), hex(handFrame('68 99 99 99 99 99 99 68 08 06 33 63 45 48 45 57')));
  t.is(b[b.length - 2], 0x33); // by hand
  t.deepEqual(parseDlt645Request(decodeFrame(b)), { kind: 'timeSync', address: '999999999999', time });
});

test('request parser: every kind round-trips, and rejects replies, unknown functions and wrong sizes', (t) => {
  t.like(parseDlt645Request(decodeFrame(encodeReadDataRequest(ADDR, '02800002'))), { kind: 'readData', di: '02800002' });
  t.like(parseDlt645Request(decodeFrame(encodeReadFollowUpRequest(ADDR, '02800002', 7))), { kind: 'readFollowUp', seq: 7 });
  t.like(parseDlt645Request(decodeFrame(encodeReadAddressRequest())), { kind: 'readAddress', address: 'AAAAAAAAAAAA' });
  // read with a block count N = 1 keeps the extra byte
  const withN = parseDlt645Request(decodeFrame(handFrame('68 01 00 00 00 00 00 68 11 05 33 33 34 33 34')));
  t.is(withN.kind === 'readData' ? hex(withN.extra) : '', '01');
  throwsCode(t, () => parseDlt645Request(decodeFrame(encodeReadDataReply(ADDR, '00010000', Buffer.alloc(4), noFe))), 'E_FRAME_FUNCTION', 8);
  throwsCode(t, () => parseDlt645Request(decodeFrame(encodeFrame({ address: ADDR, control: 0x17 }, noFe))), 'E_FRAME_FUNCTION', 8);
  throwsCode(t, () => parseDlt645Request(decodeFrame(encodeFrame({ address: ADDR, control: 0x1c, data: Buffer.alloc(15) }, noFe))), 'E_FRAME_LENGTH', 9);
  throwsCode(t, () => parseDlt645Request(decodeFrame(encodeFrame({ address: ADDR, control: 0x11, data: Buffer.alloc(3) }, noFe))), 'E_FRAME_LENGTH', 9);
  // relay expiry with a bad month (13) -> E_FRAME_VALUE at N7 (offset 10 + 8 + 2 + 4)
  const badExpiry = encodeFrame({ address: ADDR, control: 0x1c, data: Buffer.from('0256341201000000' + '1a00' + '595923301324', 'hex') }, noFe);
  throwsCode(t, () => parseDlt645Request(decodeFrame(badExpiry)), 'E_FRAME_VALUE', 24);
});

test('builders refuse bad arguments with PrepaidError and a path', (t) => {
  t.is(throwsCode(t, () => encodeReadDataRequest(ADDR, 'xyz'), 'E_FRAME_VALUE').context.path, 'di');
  const relayPath = (input: Partial<Parameters<typeof encodeRelayControlRequest>[1]>): unknown =>
    throwsCode(t, () => encodeRelayControlRequest(ADDR, { command: 'trip', credentials, expiry, ...input }), 'E_FRAME_VALUE').context.path;
  t.is(relayPath({ command: 'explode' as 'trip' }), 'command');
  t.is(relayPath({ credentials: { ...credentials, password: '12345' } }), 'credentials.password');
  t.is(relayPath({ expiry: { ...expiry, day: 31 } }), 'expiry.day');
  t.is(throwsCode(t, () => encodeReadFollowUpRequest(ADDR, '00010000', 256), 'E_FRAME_VALUE').context.path, 'seq');
  t.is(throwsCode(t, () => encodeAbnormalReply(ADDR, 0x11, -1), 'E_FRAME_VALUE').context.path, 'errorByte');
});

test('property: request and reply parsers take any well-framed frame without a non-PrepaidError', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 30 }), (control, data) => {
      const f = decodeFrame(encodeFrame({ address: ADDR, control, data }));
      return (
        returnsOrPrepaidError(() => parseDlt645Request(f)) &&
        returnsOrPrepaidError(() => parseReadDataReply(f)) &&
        returnsOrPrepaidError(() => parseReadAddressReply(f)) &&
        returnsOrPrepaidError(() => parseWriteDataReply(f)) &&
        returnsOrPrepaidError(() => parseRelayControlReply(f))
      );
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('property: relay control request round trip', (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(...(Object.keys(DLT645_RELAY_COMMAND) as Array<keyof typeof DLT645_RELAY_COMMAND>)),
      fc.integer({ min: 0, max: 255 }),
      fc.stringMatching(/^[0-9A-F]{6}$/),
      fc.stringMatching(/^[0-9A-F]{8}$/),
      fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
      (command, level, password, operator, d) => {
        const ex = dlt645DateTimeFromDate(d);
        const frame = encodeRelayControlRequest(ADDR, { command, credentials: { level, password, operator }, expiry: ex });
        const r = parseDlt645Request(decodeFrame(frame));
        return (
          r.kind === 'relayControl' &&
          r.commandName === command &&
          r.credentials.level === level &&
          r.credentials.password === password &&
          r.credentials.operator === operator &&
          (Object.keys(ex) as Array<keyof typeof ex>).every((k) => r.expiry[k] === ex[k])
        );
      },
    ),
  );
  t.pass();
});
