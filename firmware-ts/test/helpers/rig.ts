/** Test rig: the firmware booted on a virtual board with a stepped clock, plus Modbus and keypad helpers. */
import { ManualClock } from '@prepaid-edge/protocols';
import { once } from 'node:events';
import { deriveDecoderKeyDkga02, encodeRequest, parseResponse, type ModbusRequest, type ModbusResponse } from '@prepaid-edge/protocols';
import { loadStsVectors } from '@prepaid-edge/protocols/vectors';
import {
  checkFirmwareConfig,
  Firmware,
  MemorySlots,
  VirtualBoard,
  virtualPinMap,
  type PinMap,
  type PzemValues,
  type SlotStorage,
} from '../../src/index.js';

/** 2026-01-01T00:00Z: the rig's wall clock is this plus the stepped clock. */
export const T0 = Date.UTC(2026, 0, 1);

export interface RigOptions {
  config?: Record<string, unknown>;
  pinMap?: PinMap;
  storage?: SlotStorage;
  meter?: () => PzemValues | undefined;
}

export interface Rig {
  fw: Firmware;
  board: VirtualBoard;
  clock: ManualClock;
  storage: SlotStorage;
  pinMap: PinMap;
  /** Boot again on the same board and storage (power cycle). */
  powerCycle(offMs?: number): Firmware;
  pulse(n?: number, gapMs?: number): void;
  request(req: ModbusRequest): ModbusResponse;
  /** Raw reply PDU. */
  pdu(req: ModbusRequest): Buffer;
  registers(fc: 0x03 | 0x04, address: number, count: number): number[];
  coils(address: number, count: number): boolean[];
  typeKeys(keys: string): Promise<void>;
  pressButton(): Promise<void>;
}

export function rig(opts: RigOptions = {}): Rig {
  const pinMap = opts.pinMap ?? virtualPinMap();
  const clock = new ManualClock({ now: 1_000_000, monotonic: 1_000_000 });
  const board = new VirtualBoard({ pinMap, ...(opts.meter ? { meter: opts.meter } : {}) });
  const storage = opts.storage ?? new MemorySlots();
  const config = checkFirmwareConfig({ serialNumber: 12345678, console: { pin: '2468' }, initialEnergyWh: 5000, ...opts.config });
  const boot = () => Firmware.boot({ config, pinMap, io: board.powerOn(), storage, clock, rtc: () => T0 + clock.now(), timers: false });
  const r: Rig = {
    fw: boot(),
    board,
    clock,
    storage,
    pinMap,
    powerCycle(offMs = 1000) {
      r.fw.stop();
      board.powerOff();
      clock.advance(offMs);
      r.fw = boot();
      return r.fw;
    },
    pulse(n = 1, gapMs = 50) {
      for (let i = 0; i < n; i++) {
        clock.advance(gapMs - 10);
        board.s0(true);
        clock.advance(10);
        board.s0(false);
      }
    },
    pdu: (req) => r.fw.handleModbusPdu(encodeRequest(req)),
    request: (req) => parseResponse(r.pdu(req), req),
    registers(fc, address, count) {
      const res = r.request({ fc, address, count });
      if (!('registers' in res)) throw new Error(`exception ${JSON.stringify(res)}`);
      return res.registers;
    },
    coils(address, count) {
      const res = r.request({ fc: 0x01, address, count });
      if (!('bits' in res)) throw new Error(`exception ${JSON.stringify(res)}`);
      return res.bits;
    },
    async typeKeys(keys) {
      // johnny-five's keypad debounces its events by 5 ms of wall time: wait for each key press
      // to reach the firmware (an event, not a sleep) before the next one.
      for (const k of keys) {
        const seen = once(r.fw, 'key');
        board.pressKey(k);
        await seen;
        board.releaseKey(k);
      }
    },
    async pressButton() {
      const seen = once(r.fw, 'button');
      board.setButton(true);
      await seen;
      board.setButton(false);
    },
  };
  return r;
}

/** u32/i32/u64 from high-word-first registers. */
export const u32 = (w: number[], i: number): number => w[i]! * 65536 + w[i + 1]!;
export const i32 = (w: number[], i: number): number => (u32(w, i) >= 2 ** 31 ? u32(w, i) - 2 ** 32 : u32(w, i));
export const u64 = (w: number[], i: number): number => ((w[i]! * 65536 + w[i + 1]!) * 65536 + w[i + 2]!) * 65536 + w[i + 3]!;
export const words64 = (v: number): number[] => [Math.floor(v / 2 ** 48) & 0xffff, Math.floor(v / 2 ** 32) & 0xffff, Math.floor(v / 65536) & 0xffff, v & 0xffff];
export const words32 = (v: number): number[] => {
  const u = v < 0 ? v + 2 ** 32 : v;
  return [Math.floor(u / 65536) & 0xffff, u & 0xffff];
};

export interface StsTokenVector {
  meter_pan: string;
  decoder_key_hex: string;
  token_class: number;
  token_subclass: number;
  tid_minutes_hex: string;
  amount_units: number;
  token: string;
}

/** The STS vectors (shared/vectors/sts, else protocols' copy), through protocols' one loader. */
export function stsVectors(): {
  vendingKey: string;
  common: { supply_group_code: string; tariff_index: string; key_revision_number: number; key_type: number };
  tokens: StsTokenVector[];
  class1: Array<{ token: string }>;
} {
  const v = loadStsVectors();
  return { vendingKey: v.dkga02_ea07.common.vending_key_hex, common: v.dkga02_ea07.common, tokens: v.dkga02_ea07.tokens, class1: v.class1_cleartext };
}

/** The vectors' meter (PAN) and the decoder key DKGA-02 derives for it from the vectors' vending key. */
export const VECTORS_PAN = '600727000000000009';
export function vectorsDecoderKey(v = stsVectors()): string {
  const c = v.common;
  return deriveDecoderKeyDkga02({ vendingKey: v.vendingKey, pan: VECTORS_PAN, supplyGroupCode: c.supply_group_code, tariffIndex: c.tariff_index, keyRevision: c.key_revision_number, keyType: c.key_type }).toString('hex');
}
