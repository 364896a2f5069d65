/** A register the meter does not measure: its notAvailable raw value decodes as absent and a null encodes to it. */
import test from 'ava';
import { decodeBlock, encodeBlock, loadProfile, parseProfile, planReads } from '../../src/index.js';

const prepaid = loadProfile('prepaid');
const block = planReads(prepaid.registers.filter((d) => d.kind === 'input' && d.address >= 5 && d.address <= 12), { maxGap: 0 })[0]!;

test('prepaid map: not measured voltage, current, power factor and frequency are absent, power and energy stay', (t) => {
  const words = encodeBlock(block, { voltageL1: null, currentL1: null, power: 120, powerFactor: null, frequency: null, energyImport: 5000 });
  t.deepEqual(decodeBlock(block, words), { power: 120, energyImport: 5000 });
});

test('prepaid map: measured values decode as before, 0 V is a value (a supply that is off), not absent', (t) => {
  const v = decodeBlock(block, encodeBlock(block, { voltageL1: 0, currentL1: 0, power: 0, powerFactor: 0, frequency: 50, energyImport: 1 }));
  t.deepEqual(v, { voltageL1: 0, currentL1: 0, power: 0, powerFactor: 0, frequency: 50, energyImport: 1 });
  const w = decodeBlock(block, encodeBlock(block, { voltageL1: 230.1, currentL1: 1.234, power: 284, powerFactor: -0.5, frequency: 49.99, energyImport: 1 }));
  t.like(w, { voltageL1: 230.1, currentL1: 1.234, powerFactor: -0.5, frequency: 49.99 });
});

test('a null for a register without notAvailable is refused, naming the register', (t) => {
  const sdm = loadProfile('sdm630');
  const b = planReads(sdm.registers.filter((d) => d.name === 'voltageL1'), { maxGap: 0 })[0]!;
  t.throws(() => encodeBlock(b, { voltageL1: null }), { code: 'E_VALUE_RANGE', message: /voltageL1/ } as never);
});

test('profile schema: notAvailable must be an integer raw value', (t) => {
  const raw = JSON.parse(JSON.stringify({ ...prepaid, registers: prepaid.registers.map((r) => (r.name === 'voltageL1' ? { ...r, notAvailable: 1.5 } : r)) }));
  t.throws(() => parseProfile(JSON.stringify(raw), "bad.json"), { code: 'E_PROFILE_INVALID', message: /notAvailable/ } as never);
});
