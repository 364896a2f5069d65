/**
 * Read a `prepaid` meter's event log over Modbus: input 22-24 (eventCounter, eventLogCount), then
 * for each index: holding 16 (eventLogIndex) selects it and input 25-31 show it. One bus-queue job
 * for the whole walk, so selecting and reading never interleave with another request.
 */
import { decodeBlock, encodeBlock, planReads, type ReadBlock } from '@prepaid-edge/protocols';
import type { BusQueue } from '../acquisition/bus-queue.js';
import type { ModbusMaster } from '../acquisition/modbus-transport.js';
import { prepaidRegister } from '../relay/prepaid-registers.js';
import { eventLogPlan, newEvents, type EventLogPlan, type MeterLogEntry } from '../../core/meter-events/index.js';

const block = (names: string[]): ReadBlock => planReads(names.map(prepaidRegister), { maxGap: 0 })[0]!;
const COUNTERS = block(['eventCounter', 'eventLogCount']);
const WINDOW = block(['eventType', 'eventSeq', 'eventTimestamp', 'eventValue']);
const INDEX = block(['eventLogIndex']);

export interface EventLogWalk extends Omit<EventLogPlan, 'indices'> {
  counter: number;
  /** New entries, in seq order; `data` (when given) is the meter-event's data instead of the prepaid table's. */
  entries: Array<MeterLogEntry & { data?: Record<string, unknown> }>;
}

export async function walkPrepaidEventLog(master: ModbusMaster, queue: BusQueue, unit: number, lastSeq: number | undefined): Promise<EventLogWalk> {
  return queue.run(async () => {
    const c = decodeBlock(COUNTERS, await master.read(unit, 'input', COUNTERS.address, COUNTERS.count));
    const counter = c.eventCounter!;
    const plan = eventLogPlan(lastSeq, counter, c.eventLogCount!);
    const read: MeterLogEntry[] = [];
    for (const i of plan.indices) {
      await master.writeRegisters(unit, INDEX.address, encodeBlock(INDEX, { eventLogIndex: i }));
      const w = decodeBlock(WINDOW, await master.read(unit, 'input', WINDOW.address, WINDOW.count));
      // seq 0 = nothing at that index (the log shrank meanwhile).
      if (w.eventSeq! > 0) read.push({ seq: w.eventSeq!, type: w.eventType!, seconds: w.eventTimestamp!, value: w.eventValue! });
    }
    if (plan.indices.length > 0) await master.writeRegisters(unit, INDEX.address, encodeBlock(INDEX, { eventLogIndex: 0 }));
    return { counter, lost: plan.lost, reset: plan.reset, entries: newEvents(read, lastSeq, plan.reset) };
  });
}
