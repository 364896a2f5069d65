/**
 * Meter kinds that are not a plain register map behind physics register here
 * (DL/T 645 meters; later the firmware-backed prepaid meter). Others use ModbusSimMeter.
 */
import type { SimMeter, SimMeterOptions } from './sim-meter.js';

export type MeterFactory = (opts: SimMeterOptions) => SimMeter;

export const meterFactories: Partial<Record<string, MeterFactory>> = {};

export function registerMeterFactory(profile: string, factory: MeterFactory): void {
  meterFactories[profile] = factory;
}
