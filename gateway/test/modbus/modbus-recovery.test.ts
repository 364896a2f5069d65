/**
 * Recovery without a restart, counted: the TCP peer restarts N times (N = MODBUS_CYCLES, 20 in CI,
 * 100 in the long form) and no file descriptor or active handle is left behind. Serial, in a file
 * of its own: fds are process-wide.
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import { isPrepaidError } from '@prepaid-edge/protocols';
import { TcpMaster } from '../../src/adapters/modbus/index.js';
import { FakeSlave, sleep } from './fake-slave.js';

const TIMEOUT = 250;
const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (isPrepaidError(e) ? e.code : String(e)),
  );

const fds = (): number => readdirSync('/proc/self/fd').length;
const handles = (): number => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;

test.serial('peer restarts over many cycles leave no fds or handles behind', async (t) => {
  const cycles = Number(process.env.MODBUS_CYCLES ?? 20);
  let slave = await new FakeSlave('tcp').listen();
  const port = slave.port;
  const master = new TcpMaster({ bus: 't', host: '127.0.0.1', port, timeoutMs: TIMEOUT });
  await master.read(1, 'holding', 0, 1);
  await slave.close();
  await codeOf(master.read(1, 'holding', 0, 1));
  slave = await new FakeSlave('tcp').listen(port);
  await master.read(1, 'holding', 0, 1);
  const fd0 = fds();
  const h0 = handles();
  for (let i = 0; i < cycles; i++) {
    await slave.close();
    t.is(await codeOf(master.read(1, 'holding', 0, 1)), 'E_BUS_UNAVAILABLE');
    slave = await new FakeSlave('tcp').listen(port);
    t.is(await codeOf(master.read(1, 'holding', 0, 1)), 'ok');
  }
  await sleep(20);
  t.is(fds(), fd0, 'fds');
  t.is(handles(), h0, 'active handles');
  await master.close();
  await slave.close();
});
