/** modbus-serial's failures, as the library makes them, get stable codes; the poller's retry sets are retryable codes. */
import test from 'ava';
import { PrepaidError, isRetryable } from '@prepaid-edge/protocols';
import { classifyModbusError } from '../../src/adapters/acquisition/modbus-transport.js';
import { GARBLED_CODES, NO_REPLY_CODES } from '../../src/adapters/acquisition/meter-poller.js';

const ctx = { bus: 'rs1', unit: 7, op: 'read holding 0+2' };
// The shapes of modbus-serial 8's errors (index.js): a timeout object, an exception, plain reply faults.
const timedOut = Object.assign(Object.create(null) as object, { name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' });
const exception = Object.assign(new Error('Modbus exception 2: Illegal data address (register not supported by device)'), { modbusCode: 2 });

for (const [what, err, code] of [
  ['timeout', timedOut, 'E_MODBUS_TIMEOUT'],
  ['exception', exception, 'E_MODBUS_EXCEPTION'],
  ['bad CRC', new Error('CRC error'), 'E_MODBUS_CRC'],
  ['short reply', new Error('Data length error, expected 9 got 4'), 'E_MODBUS_REPLY'],
  ['wrong unit', new Error('Unexpected data error, expected address 7 got 8'), 'E_MODBUS_REPLY'],
  ['port not open', Object.assign(new Error('Port Not Open'), { errno: 'ECONNREFUSED' }), 'E_BUS_UNAVAILABLE'],
  ['socket reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'E_BUS_UNAVAILABLE'],
] as const) {
  test(`classifyModbusError: ${what} -> ${code}`, (t) => {
    const e = classifyModbusError(err, ctx);
    t.is(e.code, code);
    t.like(e.context, ctx);
    t.is(e.cause, err);
  });
}

test('classifyModbusError: a PrepaidError passes through unchanged', (t) => {
  const e = new PrepaidError('E_MODBUS_CRC', 'already ours');
  t.is(classifyModbusError(e, ctx), e);
});

test("the poller's no-reply and garbled codes are all retryable; an exception is not", (t) => {
  for (const code of [...NO_REPLY_CODES, ...GARBLED_CODES]) t.true(isRetryable(new PrepaidError(code as 'E_MODBUS_CRC', code)), code);
  t.false(classifyModbusError(exception, ctx).retryable);
});
