/** The relay contract against the `prepaid` meter: the real firmware in the simulator, over Modbus TCP. */
import test from 'ava';
import type { SupplyState } from '../../src/core/credit/contracts.js';
import { ModbusPrepaidRelay, prepaidSupplyState } from '../../src/adapters/relay/modbus-prepaid-relay.js';
import { relayContract } from './relay-contract.js';
import { boardOf, prepaidRig, u64Words, waitFor } from './helpers.js';

relayContract({
  name: 'prepaid meter (Modbus)',
  arm: 'real',
  refuses: true,
  detectsStuck: true,
  async setup(opts) {
    const rig = await prepaidRig();
    const driver = new ModbusPrepaidRelay('pm-1', 1, rig.master, rig.queue, opts);
    const board = boardOf(rig.sim);
    return {
      driver,
      contactClosed: () => rig.sim.trueState(1).relayClosed,
      stick: () => {
        rig.master.swallowRelayCommand = true;
      },
      // energyImport is past a non-zero backup threshold: the firmware answers a close with exception 04
      refuseClose: () => rig.master.inner.writeRegisters(1, 8, u64Words(1)),
      pressButton: async () => {
        board.setButton(true);
        await waitFor(() => board.relayClosed, 'the button to close the relay'); // johnny-five debounces 7 ms
        board.setButton(false);
      },
      commands: () => rig.master.writes,
      close: rig.close,
    };
  },
});

test('supply state comes from the contact first, relayState second', (t) => {
  const rows: Array<[number, boolean, SupplyState]> = [
    [0, false, 'disconnected'],
    [1, true, 'connected'],
    [2, false, 'ready-for-reconnection'],
    [0, true, 'connected'], // welded contact: the supply is on whatever the state machine says
    [1, false, 'disconnected'], // contact failed to close
  ];
  for (const [state, closed, want] of rows) t.is(prepaidSupplyState(state, closed), want, `relayState ${state}, contact ${closed}`);
});

test('prepaid meter: trip goes through the bus queue ahead of queued reads', async (t) => {
  const rig = await prepaidRig();
  t.teardown(rig.close);
  const driver = new ModbusPrepaidRelay('pm-1', 1, rig.master, rig.queue, { sleep: async () => {} });
  await driver.set('connected', 'setup');
  const order: string[] = [];
  const reads = Array.from({ length: 5 }, (_, i) => rig.queue.run(async () => {
    await rig.master.read(1, 'input', 0, 1);
    order.push(`poll${i}`);
  }));
  const trip = driver.set('disconnected', 'exhausted').then(() => order.push('trip'));
  await Promise.all([...reads, trip]);
  t.true(order.indexOf('trip') < 4, `trip done before most polls: ${order.join(',')}`);
  t.false(rig.sim.trueState(1).relayClosed);
});

test('prepaid meter: raw readback carries relayState, the contact and the status word', async (t) => {
  const rig = await prepaidRig();
  t.teardown(rig.close);
  const driver = new ModbusPrepaidRelay('pm-1', 1, rig.master, rig.queue, { sleep: async () => {} });
  await driver.set('disconnected', 'x');
  const armed = await driver.set('ready-for-reconnection', 'top-up');
  t.like(armed.raw, { relayState: 2, relayStateName: 'ready-for-reconnection', relayClosed: 0, relayCommand: 1, consistent: true });
  t.is(((armed.raw!.status as number) >> 1) & 1, 1, 'status bit 1: ready for reconnection');
  const reconnectMode = await rig.master.read(1, 'holding', 15, 1);
  t.deepEqual(reconnectMode, [1]);
  const on = await driver.set('connected', 'override');
  t.like(on.raw, { relayState: 1, relayClosed: 1 });
  t.deepEqual(await rig.master.read(1, 'holding', 15, 1), [0], 'connect puts reconnectMode back to 0 (close directly)');
});

test('prepaid meter: concurrent sets run one after the other (an arm cannot interleave with a connect)', async (t) => {
  const rig = await prepaidRig();
  t.teardown(rig.close);
  const driver = new ModbusPrepaidRelay('pm-1', 1, rig.master, rig.queue, { sleep: async () => {} });
  await driver.set('disconnected', 'setup');
  const [armed, connected] = await Promise.all([driver.set('ready-for-reconnection', 'a'), driver.set('connected', 'b')]);
  t.is(armed.state, 'ready-for-reconnection');
  t.is(connected.state, 'connected');
  t.true(rig.sim.trueState(1).relayClosed);
  t.deepEqual(await rig.master.read(1, 'holding', 15, 1), [0]);
});
