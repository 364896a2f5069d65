/** modbus-serial is CommonJS whose typings declare an ES default; this gives tests the class with its types. */
import modbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';

type Ctor = new () => ModbusRTU;
const mod = modbusSerial as unknown as { default?: Ctor };
export const ModbusClient: Ctor = typeof mod === "function" ? (mod as unknown as Ctor) : mod.default!;
