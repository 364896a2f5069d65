/** Shared pieces of the relay tests: a prepaid simulator on TCP, a counting/lying master, waiting. */
import { ManualClock } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { BusQueue } from '../../src/adapters/acquisition/bus-queue.js';
import { ModbusSerialMaster, type ModbusMaster } from '../../src/adapters/acquisition/modbus-transport.js';
import type { RegisterKind } from '@prepaid-edge/protocols';

/** A master that counts writes, and can swallow relay-command writes (a relay that never moves). */
export class TapMaster implements ModbusMaster {
  writes = 0;
  swallowRelayCommand = false;
  constructor(readonly inner: ModbusMaster) {}
  read(unit: number, kind: RegisterKind, address: number, count: number): Promise<number[]> {
    return this.inner.read(unit, kind, address, count);
  }
  async writeCoil(unit: number, address: number, value: boolean): Promise<void> {
    this.writes++;
    if (this.swallowRelayCommand && address === 1) return;
    return this.inner.writeCoil(unit, address, value);
  }
  writeRegisters(unit: number, address: number, words: number[]): Promise<void> {
    this.writes++;
    return this.inner.writeRegisters(unit, address, words);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface PrepaidRig {
  sim: Simulator;
  clock: ManualClock;
  master: TapMaster;
  queue: BusQueue;
  close(): Promise<void>;
}

/** One `prepaid` meter (the real firmware on a virtual board) on Modbus TCP 127.0.0.1, manual clock. */
export async function prepaidRig(seed = 'relay'): Promise<PrepaidRig> {
  const clock = new ManualClock({ now: Date.UTC(2026, 0, 5, 12) });
  const sim = new Simulator({ profile: 'prepaid', meters: 1, seed, clock });
  const port = await sim.listenTcp(0);
  const master = new TapMaster(new ModbusSerialMaster({ id: 'sim', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 2000, interFrameDelayMs: 0 }));
  const queue = new BusQueue();
  return {
    sim,
    clock,
    master,
    queue,
    close: async () => {
      await queue.close();
      await master.close();
      await sim.close();
    },
  };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** u16 words of a u64, high word first (the prepaid map's order). */
export function u64Words(v: number): number[] {
  const b = BigInt(v);
  return [48n, 32n, 16n, 0n].map((s) => Number((b >> s) & 0xffffn));
}

/** The prepaid meter's VirtualBoard (FirmwareSimMeter is not exported by the simulator). */
export function boardOf(sim: Simulator, unit = 1): { setButton(down: boolean): void; relayClosed: boolean } {
  return (sim.meter(unit) as unknown as { board: { setButton(down: boolean): void; relayClosed: boolean } }).board;
}
