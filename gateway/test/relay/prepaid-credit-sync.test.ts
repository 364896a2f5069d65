/** syncPrepaidMeter against the real firmware in the simulator, over Modbus TCP. */
import test from 'ava';
import { decodeRegisterValue, type PrepaidError } from '@prepaid-edge/protocols';
import type { ModbusMaster } from '../../src/adapters/acquisition/modbus-transport.js';
import { backupThresholdWh } from '../../src/adapters/relay/backup-threshold.js';
import { ModbusPrepaidRelay } from '../../src/adapters/relay/modbus-prepaid-relay.js';
import { syncPrepaidMeter, type PrepaidCreditValues } from '../../src/adapters/relay/prepaid-credit-sync.js';
import { prepaidRegister } from '../../src/adapters/relay/prepaid-registers.js';
import { prepaidRig, TapMaster } from './helpers.js';

const quiet = { sleep: async () => {} };

async function energyWh(master: ModbusMaster): Promise<number> {
  return decodeRegisterValue(prepaidRegister('energyImport'), await master.read(1, 'input', 12, 4));
}

const base: PrepaidCreditValues = {
  creditBalance: 12_345,
  lowCreditThreshold1: 20_000,
  lowCreditThreshold2: 5_000,
  emergencyCreditLimit: 1_000,
  backupDisconnectThreshold: 0,
  creditDecimals: 2,
};

test('writes credit block and decimals with FC 16, leaves the clock alone, reads everything back', async (t) => {
  const rig = await prepaidRig('sync');
  t.teardown(rig.close);
  const calls: Array<[number, number]> = [];
  const spy = new (class extends TapMaster {
    override writeRegisters(unit: number, address: number, words: number[]) {
      calls.push([address, words.length]);
      return super.writeRegisters(unit, address, words);
    }
  })(rig.master.inner);
  const clockBefore = await spy.read(1, 'holding', 12, 2);
  const wh = await energyWh(spy);
  const values = { ...base, backupDisconnectThreshold: wh + 50_000 };
  const got = await syncPrepaidMeter(spy, rig.queue, 1, values, quiet);
  t.like(got, values);
  t.deepEqual(calls, [[14, 1], [0, 12]], 'decimals, then holding 0-11 in one request');
  t.deepEqual(await spy.read(1, 'holding', 12, 2), clockBefore);
  const [status = 0] = await spy.read(1, 'input', 20, 1);
  t.is((status >> 4) & 1, 1, 'status bit 4: low credit (12345 <= 20000)');
  t.is((status >> 9) & 1, 0, 'status bit 9 clear (12345 > 5000)');
});

test('the meter trips itself at the backup threshold (energyImport reaches it under load)', async (t) => {
  const rig = await prepaidRig('backup');
  t.teardown(rig.close);
  const relay = new ModbusPrepaidRelay('pm-1', 1, rig.master, rig.queue, quiet);
  await relay.set('connected', 'setup');
  rig.sim.setLoad(1, { type: 'constant', watts: 3000 });
  const wh = await energyWh(rig.master);
  // 1.00 units left at 50.00 per kWh (minor units): 20 Wh
  const threshold = backupThresholdWh(wh, 100, 5000);
  t.is(threshold, wh + 20);
  await syncPrepaidMeter(rig.master, rig.queue, 1, { ...base, creditBalance: 100, backupDisconnectThreshold: threshold }, quiet);
  rig.clock.advance(10_000); // 3 kW for 10 s = 8.3 Wh: not yet
  t.deepEqual(await rig.master.read(1, 'input', 21, 1), [1]);
  rig.clock.advance(30_000); // 33 Wh in all: past the threshold
  t.deepEqual(await rig.master.read(1, 'input', 21, 1), [0], 'relayState 0: disconnected by the meter itself');
  t.true((await energyWh(rig.master)) >= threshold);
  t.false(rig.sim.trueState(1).relayClosed);
  t.is((await relay.read()).state, 'disconnected');
  // and it will not close again while energy is past the threshold
  const e = (await t.throwsAsync(relay.set('connected', 'override'))) as PrepaidError;
  t.is(e.code, 'E_RELAY_REFUSED');
  // a top-up moves the threshold up: now a close is accepted
  await syncPrepaidMeter(rig.master, rig.queue, 1, { ...base, backupDisconnectThreshold: threshold + 10_000 }, quiet);
  t.is((await relay.set('connected', 'top-up')).state, 'connected');
});

test('a value outside its register is refused before anything is written, naming the register', async (t) => {
  const rig = await prepaidRig('range');
  t.teardown(rig.close);
  const rows: Array<[Partial<PrepaidCreditValues>, string]> = [
    [{ lowCreditThreshold1: -1 }, 'lowCreditThreshold1'],
    [{ creditDecimals: 5 }, 'creditDecimals'],
    [{ creditBalance: 2 ** 31 }, 'creditBalance'],
    [{ backupDisconnectThreshold: 1.5 }, 'backupDisconnectThreshold'],
  ];
  for (const [bad, path] of rows) {
    const e = (await t.throwsAsync(syncPrepaidMeter(rig.master, rig.queue, 1, { ...base, ...bad }, quiet))) as PrepaidError;
    t.is(e.code, 'E_VALUE_RANGE');
    t.is(e.context.path, path);
  }
  t.is(rig.master.writes, 0);
});

test('a write that does not stick is retried and then reported with the register', async (t) => {
  const rig = await prepaidRig('lying');
  t.teardown(rig.close);
  // a meter that acknowledges FC 16 on holding 0 and ignores it
  const deaf = new (class extends TapMaster {
    override async writeRegisters(unit: number, address: number, words: number[]) {
      if (address !== 0) return super.writeRegisters(unit, address, words);
    }
  })(rig.master.inner);
  const sleeps: number[] = [];
  const e = (await t.throwsAsync(syncPrepaidMeter(deaf, rig.queue, 1, { ...base, creditBalance: 777 }, { sleep: async (ms) => void sleeps.push(ms), meter: 'pm-1' }))) as PrepaidError;
  t.is(e.code, 'E_RELAY_MISMATCH');
  t.like(e.context, { meter: 'pm-1', unit: 1, path: 'creditBalance', wanted: 777, attempts: 3 });
  t.deepEqual(sleeps, [200, 400]);
});
