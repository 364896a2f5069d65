/**
 * Map revision 2 of the `prepaid` meter (protocols/profiles/revisions/prepaid-2.json): its own
 * keypad credit (tokenCreditTotal, input 32; tokenCreditBooked, holding 17) and the display message
 * the gateway writes (gatewayMessage, holding 21). A meter tells its revision in mapRevision
 * (input 1, in every reading); revision 1 meters refuse these addresses, so nothing here is sent to them.
 */
import { decodeBlock, encodeBlock, loadProfileRevision, planReads, PrepaidError, type ReadBlock, type RegisterDef } from '@prepaid-edge/protocols';
import type { BusQueue } from '../acquisition/bus-queue.js';
import type { ModbusMaster } from '../acquisition/modbus-transport.js';
import { prepaidRegister } from './prepaid-registers.js';

const REV2 = loadProfileRevision('prepaid', 2);

function rev2Register(name: string): RegisterDef {
  const def = REV2.registers.find((r) => r.name === name);
  if (!def) throw new PrepaidError('E_PROFILE_INVALID', `prepaid revision 2 has no register ${name}`, { path: name });
  return def;
}

/** input 22-35: eventCounter .. tokenCreditTotal in one read, so the total and the events it came with agree. */
const COUNTER_AND_TOTAL: ReadBlock = planReads(
  [...['eventCounter', 'eventLogCount', 'eventType', 'eventSeq', 'eventTimestamp', 'eventValue'].map(prepaidRegister), rev2Register('tokenCreditTotal')],
  { maxGap: 0 },
)[0]!;
const BOOKED: ReadBlock = planReads([rev2Register('tokenCreditBooked')], { maxGap: 0 })[0]!;
const MESSAGE: ReadBlock = planReads([rev2Register('gatewayMessage')], { maxGap: 0 })[0]!;

/** The display messages of holding 21. */
export const GATEWAY_MESSAGE = { tokenRefusedNoTariff: 1, tokenRefusedByPolicy: 2, tokenBooked: 3 } as const;

export interface TokenCreditState {
  /** The meter's eventCounter read together with the total. */
  eventCounter: number;
  totalWh: number;
  bookedWh: number;
}

export function isRevision2(values: Record<string, number | null | undefined>): boolean {
  const r = values.mapRevision;
  return typeof r === 'number' && r >= 2;
}

export async function readTokenCredit(master: ModbusMaster, queue: BusQueue, unit: number): Promise<TokenCreditState> {
  return queue.run(async () => {
    const a = decodeBlock(COUNTER_AND_TOTAL, await master.read(unit, 'input', COUNTER_AND_TOTAL.address, COUNTER_AND_TOTAL.count));
    const b = decodeBlock(BOOKED, await master.read(unit, 'holding', BOOKED.address, BOOKED.count));
    return { eventCounter: a.eventCounter!, totalWh: a.tokenCreditTotal!, bookedWh: b.tokenCreditBooked! };
  }, 'high');
}

/** Mark the meter's token credit up to `totalWh` as taken over by the gateway (verified by readback). */
export async function writeTokenCreditBooked(master: ModbusMaster, queue: BusQueue, unit: number, totalWh: number): Promise<void> {
  await queue.run(async () => {
    await master.writeRegisters(unit, BOOKED.address, encodeBlock(BOOKED, { tokenCreditBooked: totalWh }));
    const got = decodeBlock(BOOKED, await master.read(unit, 'holding', BOOKED.address, BOOKED.count)).tokenCreditBooked;
    if (got !== totalWh) throw new PrepaidError('E_RELAY_MISMATCH', `unit ${unit}: tokenCreditBooked reads back ${got}, wrote ${totalWh}`, { unit, register: 'tokenCreditBooked', wanted: totalWh, got: got ?? null });
  }, 'high');
}

export async function writeGatewayMessage(master: ModbusMaster, queue: BusQueue, unit: number, code: number): Promise<void> {
  await queue.run(() => master.writeRegisters(unit, MESSAGE.address, encodeBlock(MESSAGE, { gatewayMessage: code })), 'high');
}
