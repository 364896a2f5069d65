/** Configuration files: the shipped ones validate, mistakes are refused naming the field, schemas are valid. */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { checkFirmwareConfig, checkPinMap, loadFirmwareConfig, loadPinMap } from '../src/index.js';

const CONFIG = new URL('../../config/', import.meta.url);

test('shipped pin maps and the example configuration validate; defaults are filled in', (t) => {
  const files = readdirSync(CONFIG);
  for (const f of files.filter((x) => x.startsWith('pins.'))) t.notThrows(() => loadPinMap(new URL(f, CONFIG).pathname), f);
  const c = loadFirmwareConfig(new URL('firmware.example.json', CONFIG).pathname);
  t.is(c.impulsesPerKwh, 1000);
  t.is(c.gatewayWatchdogS, 900);
  t.is(c.modbus.parity, 'even');
  t.true(Object.isFrozen(c.modbus));
});

test('configuration mistakes are refused with E_CONFIG_INVALID and the JSON pointer of the field', (t) => {
  const cases: Array<[unknown, string]> = [
    [{ console: { pin: '1234' } }, '/serialNumber'],
    [{ serialNumber: 1, console: { pin: '12' } }, '/console/pin'],
    [{ serialNumber: 1, console: { pin: '1234' }, modbus: { unitId: 248 } }, '/modbus/unitId'],
    [{ serialNumber: 1, console: { pin: '1234' }, impulsesPerKwh: 0 }, '/impulsesPerKwh'],
    [{ serialNumber: 1, console: { pin: '1234' }, sts: { decoderKey: 'xyz' } }, '/sts/decoderKey'],
    [{ serialNumber: 1, console: { pin: '1234' }, colour: 'red' }, '/colour'],
  ];
  for (const [input, path] of cases) {
    const e = t.throws(() => checkFirmwareConfig(input));
    t.like(e, { code: 'E_CONFIG_INVALID', context: { path } }, path);
  }
  t.throws(() => checkPinMap({ s0: { pin: 2 }, relay: { type: 'NO' } }), { code: 'E_CONFIG_INVALID' });
  t.throws(() => checkPinMap({ s0: { pin: 2 }, relay: { type: 'NO', pin: 3 }, lcd: { address: 300 } }), { code: 'E_CONFIG_INVALID' });
});

test('the schemas themselves are valid draft-07 (the firmware skips that check at run time)', (t) => {
  const ajv = new Ajv({ strict: false });
  for (const f of ['firmware-config.schema.json', 'pin-map.schema.json']) t.true(ajv.validateSchema(JSON.parse(readFileSync(new URL(f, CONFIG), 'utf8'))) as boolean, f);
});
