/** A Modbus master answering from the sdm630 map, for driver and acquisition tests. */
import { encodeBlock, loadProfile, planReads, PrepaidError, type RegisterKind } from '@prepaid-edge/protocols';
import type { ModbusMaster } from '../../src/adapters/acquisition/modbus-transport.js';

export const VALUES = { voltageL1: 230.1, energyImport: 1_234_000, parityStopCode: 0, modbusAddress: 7, baudRateCode: 2 };

/** A master answering `values` from the sdm630 map; records every read, fails the reads `failNext` names. */
export function fakeMaster(values: Record<string, number> = VALUES) {
  const blocks = planReads(loadProfile('sdm630').registers);
  const reads: string[] = [];
  const failNext = new Set<string>();
  const master: ModbusMaster = {
    read(unit: number, kind: RegisterKind, address: number, count: number) {
      const key = `${kind} ${address}+${count}`;
      reads.push(key);
      if (failNext.delete(key)) return Promise.reject(new PrepaidError('E_MODBUS_EXCEPTION', 'exception 2', { unit }));
      const b = blocks.find((x) => x.kind === kind && x.address === address && x.count === count)!;
      return Promise.resolve(encodeBlock(b, values));
    },
    writeCoil: () => Promise.resolve(),
    writeRegisters: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { master, reads, failNext };
}
