/**
 * The `prepaid` map's clock (holding 12-13, u32 Unix seconds UTC; writing it sets the meter's clock
 * and the meter logs event 17). Read and write go through the bus queue ahead of readings.
 */
import { decodeBlock, encodeBlock, planReads, type Clock } from '@prepaid-edge/protocols';
import type { BusQueue } from '../acquisition/bus-queue.js';
import type { ModbusMaster } from '../acquisition/modbus-transport.js';
import { prepaidRegister } from '../relay/prepaid-registers.js';
import type { MeterClockPort, MeterClockRead } from './meter-clock-port.js';

const CLOCK = planReads([prepaidRegister('clock')], { maxGap: 0 })[0]!;

export function prepaidClockPort(meter: string, bus: string, unit: number, master: ModbusMaster, queue: BusQueue, clock: Clock): MeterClockPort {
  const read = async (): Promise<MeterClockRead> => {
    return queue.run(async () => {
      const sentAt = clock.now();
      const words = await master.read(unit, 'holding', CLOCK.address, CLOCK.count);
      return { seconds: decodeBlock(CLOCK, words).clock!, sentAt, receivedAt: clock.now() };
    }, 'high');
  };
  return {
    meter,
    bus,
    kind: 'prepaid',
    read,
    async set(): Promise<number> {
      return queue.run(async () => {
        const at = Math.floor(clock.now() / 1000);
        await master.writeRegisters(unit, CLOCK.address, encodeBlock(CLOCK, { clock: at }));
        return at * 1000;
      }, 'high');
    },
  };
}
