/** The firmware configuration file (schema: firmware-ts/config/firmware-config.schema.json). */
import type { StsBaseDate } from '@prepaid-edge/protocols';
import type { CoreConfig } from './core/core-config.js';
import type { FactorySettings } from './core/fresh-state.js';
import type { Parity } from './core/types.js';
import { checkAgainstSchema, loadJsonFile } from './schema-check.js';

export interface FirmwareConfig {
  serialNumber: number;
  meterNumber: string;
  energySource: 's0' | 'module';
  impulsesPerKwh: number;
  s0DebounceMs: number;
  initialEnergyWh: number;
  initialRelay: 'connected' | 'disconnected';
  modbus: { unitId: number; baudRate: number; parity: Parity };
  gatewayWatchdogS: number;
  eventLogCapacity: number;
  localLowCreditWh: number;
  bypassGraceMs: number;
  modulePollMs: number;
  moduleStaleMs: number;
  sts: { decoderKey: string | null; baseDate: StsBaseDate };
  console: { pin: string; maxFailures: number; lockoutS: number };
  messageMs: number;
  beepMs: number;
  relayTestMs: number;
  heartbeatS: number;
  keypadTimeoutS: number;
  trustClock: boolean;
  mapRevision: 1 | 2;
}

/** Input form: only serialNumber and console.pin are required. */
export type FirmwareConfigInput = { serialNumber: number; console: { pin: string } } & Record<string, unknown>;

export const CONFIG_SCHEMA = 'firmware-config.schema.json';

export function checkFirmwareConfig(input: unknown, source?: string): FirmwareConfig {
  return checkAgainstSchema<FirmwareConfig>(CONFIG_SCHEMA, input, source);
}

export function loadFirmwareConfig(file: string): FirmwareConfig {
  return loadJsonFile<FirmwareConfig>(CONFIG_SCHEMA, file);
}

export function coreConfigOf(c: FirmwareConfig): CoreConfig {
  return {
    serialNumber: c.serialNumber,
    impulsesPerKwh: c.impulsesPerKwh,
    gatewayWatchdogMs: c.gatewayWatchdogS * 1000,
    eventLogCapacity: c.eventLogCapacity,
    localLowCreditWh: c.localLowCreditWh,
    bypassGraceMs: c.bypassGraceMs,
    moduleStaleMs: c.moduleStaleMs,
    sts: { decoderKey: c.sts.decoderKey ?? undefined, baseDate: c.sts.baseDate },
    mapRevision: c.mapRevision ?? 1,
  };
}

export function factoryOf(c: FirmwareConfig): FactorySettings {
  return {
    initialEnergyWh: c.initialEnergyWh,
    initialRelay: c.initialRelay,
    line: { unitId: c.modbus.unitId, baudRate: c.modbus.baudRate, parity: c.modbus.parity },
    clockSet: c.trustClock,
  };
}
