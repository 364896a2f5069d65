/** Registers the meter kinds that need more than a register map (imported for its side effect). */
import { registerMeterFactory } from './factories.js';
import { FirmwareSimMeter } from './firmware-meter.js';

// `prepaid` meters are the real firmware (firmware-ts) on a virtual board, fed by the physics.
registerMeterFactory('prepaid', (opts) => new FirmwareSimMeter(opts));
// The same meter on map revision 2 (protocols/profiles/revisions/prepaid-2.json).
registerMeterFactory('prepaid-2', (opts) => new FirmwareSimMeter(opts, { config: { mapRevision: 2 } }));
import { Dlt645SimMeter } from './dlt645-meter.js';

// DL/T 645-2007 meters answer through data identifiers, not a register map.
registerMeterFactory('dlt645', (opts) => new Dlt645SimMeter(opts));
registerMeterFactory('dlt645-3p', (opts) => new Dlt645SimMeter(opts, 'dlt645-3p'));
