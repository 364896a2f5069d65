/** Meter drivers for bus types that are not plain Modbus (DL/T 645) register here. */
import type { MeterConfig } from '../config/types.js';
import type { MeterDriver } from './modbus-driver.js';
import type { BusRuntime } from './acquisition.js';

export type DriverFactory = (meter: MeterConfig, bus: BusRuntime) => MeterDriver;

export const driverFactories: Partial<Record<string, DriverFactory>> = {};
