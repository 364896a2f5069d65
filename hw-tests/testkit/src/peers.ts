/** Third-party Modbus masters the tests drive against our slaves (run them with ./run.js). */
import { fileURLToPath } from 'node:url';

/** `python3 PYMODBUS_READ tcp|rtu ...`: a pymodbus client that prints the registers it read as JSON. */
export const PYMODBUS_READ = fileURLToPath(new URL('../../fixtures/pymodbus_read.py', import.meta.url));
