import { readFileSync } from 'node:fs';
import test from 'ava';
import fc from 'fast-check';
import {
  decodeBlock, listProfiles, loadProfile, MEASUREMENTS, parseProfile, planReads, PROFILES_DIR_URL, registerWidth, validateProfile,
} from '../../src/registers/index.js';
import { returnsOrPrepaidError, throwsCode } from './helpers.js';

const rawProfile = (id: string): Record<string, any> => JSON.parse(readFileSync(new URL(`${id}.json`, PROFILES_DIR_URL), 'utf8'));

test('every shipped profile loads, is normalised, frozen and described', (t) => {
  const ids = listProfiles();
  t.true(['prepaid', 'sdm120', 'sdm630'].every((id) => ids.includes(id)));
  for (const id of ids) {
    const p = loadProfile(id);
    t.is(p.id, id);
    t.is(loadProfile(id), p, 'cached');
    t.true(Object.isFrozen(p) && Object.isFrozen(p.registers) && Object.isFrozen(p.registers[0]) && Object.isFrozen(p.signature));
    for (const r of p.registers) {
      t.true(r.description.length > 10, `${id}.${r.name} has a description`);
      t.true((r.type === 'bool') === (r.kind === 'coil' || r.kind === 'discrete'));
      const m = MEASUREMENTS[r.name];
      if (m) t.is(r.unit, m.unit, `${id}.${r.name} unit`);
    }
    for (const s of p.signature) {
      const defined = p.registers.some((r) => r.kind === s.kind && r.address >= s.address && r.address < s.address + s.count);
      t.is(defined, !s.refused, `${id} signature ${s.kind} ${s.address}: ${s.refused ? 'a refused read covers no register of the profile' : 'reads a defined register'}`);
    }
  }
});

test('defaults are filled in: word order, scale, unit, access, canonical plausibility range', (t) => {
  const p = validateProfile({
    id: 'tiny', manufacturer: 'x', model: 'y', description: 'z', phases: 1,
    registers: [{ name: 'frequency', kind: 'input', address: 0, type: 'u16', scale: 0.01, unit: 'Hz', description: 'f' }, { name: 'relay', kind: 'coil', address: 0, type: 'bool', description: 'r' }],
    signature: [{ kind: 'input', address: 0, count: 1 }],
  });
  t.like(p.registers[0], { wordOrder: 'high-first', scale: 0.01, access: 'r', min: 40, max: 70 });
  t.like(p.registers[1], { wordOrder: 'high-first', scale: 1, unit: '', access: 'r' });
  t.false('min' in p.registers[1]!);
});

test('prepaid map: one read per kind, identity block is the signature', (t) => {
  const p = loadProfile('prepaid');
  const blocks = planReads(p.registers, { maxGap: 0 });
  t.deepEqual(blocks.map((b) => [b.kind, b.address, b.count]), [['coil', 0, 2], ['holding', 0, 17], ['input', 0, 32]]);
  t.deepEqual(p.signature, [{ kind: 'input', address: 0, count: 5, refused: false, expect: {} }]);
  // the identity a scanner reads: model code 0x5045, map revision 1, serial 123456789, firmware 1.3
  const identity = decodeBlock({ kind: 'input', address: 0, count: 5, registers: p.registers.filter((r) => r.kind === 'input' && r.address < 5) }, [0x5045, 1, 0x075b, 0xcd15, 0x0103]);
  t.deepEqual(identity, { modelCode: 0x5045, mapRevision: 1, serialNumber: 123_456_789, firmwareVersion: 0x0103 });
  const model = p.registers.find((r) => r.name === 'modelCode')!;
  t.is(model.min, 0x5045);
  t.is(model.max, 0x5045);
  // every address in each kind's block is defined: no holes for the firmware to fill
  for (const b of planReads(p.registers.map((r) => ({ ...r, access: 'r' as const })), { maxGap: 0 })) {
    t.is(b.registers.reduce((n, r) => n + registerWidth(r.type), 0), b.count, `${b.kind} block has no holes`);
  }
});

test('YAML profiles with hex addresses and comments equal their JSON form', (t) => {
  const yaml = `
id: tiny        # the file would be tiny.yaml
manufacturer: Eastron
model: SDM-ish
description: a YAML profile
phases: 1
registers:
  - { name: voltageL1, kind: input, address: 0x00, type: f32, unit: V, description: Voltage }
  - name: energyImport
    kind: input
    address: 0x48   # kWh on the wire
    type: f32
    scale: 1000
    unit: Wh
    description: Import energy
signature:
  - { kind: input, address: 0, count: 2 }
`;
  const fromYaml = parseProfile(yaml, 'tiny.yaml');
  const fromJson = parseProfile(JSON.stringify({
    id: 'tiny', manufacturer: 'Eastron', model: 'SDM-ish', description: 'a YAML profile', phases: 1,
    registers: [
      { name: 'voltageL1', kind: 'input', address: 0, type: 'f32', unit: 'V', description: 'Voltage' },
      { name: 'energyImport', kind: 'input', address: 72, type: 'f32', scale: 1000, unit: 'Wh', description: 'Import energy' },
    ],
    signature: [{ kind: 'input', address: 0, count: 2 }],
  }));
  t.deepEqual(fromYaml, fromJson);
});

test('syntax errors are E_PROFILE_INVALID with the offset', (t) => {
  const j = throwsCode(t, () => parseProfile('{"id": "x",, }', 'bad.json'), 'E_PROFILE_INVALID');
  t.is(j.context.offset, 11);
  t.regex(j.message, /^bad\.json: /);
  const y = throwsCode(t, () => parseProfile('id: a\nid: b\n', 'dup.yaml'), 'E_PROFILE_INVALID');
  t.is(typeof y.context.offset, 'number');
  throwsCode(t, () => parseProfile('', 'empty.yaml'), 'E_PROFILE_INVALID');
});

test('unknown profile lists the known ids; ids cannot escape the directory', (t) => {
  const e = throwsCode(t, () => loadProfile('sdm999'), 'E_PROFILE_UNKNOWN');
  t.deepEqual(e.context.known, listProfiles());
  t.regex(e.message, /prepaid, sdm120, sdm630/);
  throwsCode(t, () => loadProfile('../schema/profile.schema'), 'E_PROFILE_UNKNOWN');
});

/** Invalid variants of the prepaid profile: [what, change, expected context.path, words the message must contain]. */
const INVALID: [string, (p: Record<string, any>) => void, string, RegExp][] = [
  ['unknown register key', (p) => (p.registers[3].colour = 'red'), '/registers/3/colour', /unknown key "colour"/],
  ['unknown top-level key', (p) => (p.vendor = 'x'), '/vendor', /unknown key "vendor"/],
  ['bad type', (p) => (p.registers[3].type = 'u128'), '/registers/3/type', /must be one of .*"u16"/],
  ['coil with type u16', (p) => (p.registers.find((r: any) => r.kind === 'coil').type = 'u16'), '/registers/28/type', /"bool" for coil/],
  ['input register of type bool', (p) => (p.registers[4].type = 'bool'), '/registers/4/type', /must not be "bool"/],
  ['writable input register', (p) => (p.registers[4].access = 'rw'), '/registers/4/access', /read-only/],
  ['overlap', (p) => (p.registers[6].address = 7), '/registers/6/address', /overlaps "currentL1"/],
  ['duplicate name', (p) => (p.registers[7].name = 'power'), '/registers/7/name', /duplicates/],
  ['address out of range', (p) => (p.registers[3].address = 65536), '/registers/3/address', /must be <= 65535/],
  ['u64 running past 65535', (p) => (p.registers.find((r: any) => r.name === 'energyExport').address = 65533), '/registers/10/address', /past address 65535/],
  ['missing description', (p) => delete p.registers[2].description, '/registers/2/description', /required/],
  ['wrong unit for a canonical name', (p) => (p.registers[4].unit = 'mV'), '/registers/4/unit', /must be "V"/],
  ['min above max', (p) => Object.assign(p.registers[4], { min: 300, max: 200 }), '/registers/4/max', /below min/],
  ['zero scale', (p) => (p.registers[4].scale = 0), '/registers/4/scale', /must not be 0/],
  ['phase 3 in a single-phase profile', (p) => (p.registers[4].name = 'voltageL3'), '/registers/4/name', /single-phase/],
  ['phases 2', (p) => (p.phases = 2), '/phases', /one of 1, 3/],
  ['oversized signature read', (p) => (p.signature[0].count = 126), '/signature/0/count', /125/],
  ['refused signature read over own register', (p) => (p.signature[0].refused = true), '/signature/0/refused', /covers this profile's register "modelCode"/],
  ['expect naming a register outside the read', (p) => (p.signature[0].expect = { voltageL1: { min: 1 } }), '/signature/0/expect/voltageL1', /names no readable register inside input 0..4/],
  ['expect with min above max', (p) => (p.signature[0].expect = { mapRevision: { min: 3, max: 1 } }), '/signature/0/expect/mapRevision/max', /below min 3/],
  ['unknown expect key', (p) => (p.signature[0].expect = { mapRevision: { least: 1 } }), '/signature/0/expect/mapRevision/least', /unknown key "least"/],
  ['bad id', (p) => (p.id = 'Prepaid!'), '/id', /pattern/],
  ['unknown poll rate', (p) => (p.registers[16].poll = 'hourly'), '/registers/16/poll', /must be one of "every", "slow"/],
  ['slow measurement', (p) => (p.registers[4].poll = 'slow'), '/registers/4/poll', /must not be "slow" for the measurement voltageL1/],
];

for (const [what, change, path, words] of INVALID) {
  test(`invalid profile rejected with its path: ${what}`, (t) => {
    const p = rawProfile('prepaid');
    change(p);
    const e = throwsCode(t, () => validateProfile(p, 'prepaid.json'), 'E_PROFILE_INVALID');
    t.is(e.context.path, path);
    t.regex(e.message, words);
    t.true(e.message.startsWith(`prepaid.json: ${path}`), e.message);
  });
}

test('validateProfile does not modify its input', (t) => {
  const p = rawProfile('sdm630');
  const copy = structuredClone(p);
  validateProfile(p);
  t.deepEqual(p, copy);
});

test('property: arbitrary text and values either validate or throw PrepaidError', (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => returnsOrPrepaidError(() => parseProfile(s))));
  fc.assert(fc.property(fc.json(), (s) => returnsOrPrepaidError(() => parseProfile(s))));
  fc.assert(fc.property(fc.anything(), (v) => returnsOrPrepaidError(() => validateProfile(v))));
  // one field of a real profile replaced by an arbitrary value
  const base = rawProfile('prepaid');
  fc.assert(
    fc.property(fc.nat(base.registers.length - 1), fc.constantFrom('name', 'kind', 'address', 'type', 'scale', 'min', 'access', 'wordOrder', 'extra'), fc.jsonValue(), (i, key, value) => {
      const p = structuredClone(base);
      p.registers[i][key] = value;
      return returnsOrPrepaidError(() => validateProfile(p));
    }),
  );
  t.pass();
});

test('the Eastron profiles are told apart by data: an SDM630 answers L2/L3 voltages read alone, an SDM120 refuses them', (t) => {
  const sdm120 = loadProfile('sdm120').signature;
  const sdm630 = loadProfile('sdm630').signature;
  t.deepEqual(sdm120.find((s) => s.refused), { kind: 'input', address: 2, count: 2, refused: true, expect: {} });
  t.like(sdm630.find((s) => s.address === 2), { kind: 'input', count: 4, refused: false });
  for (const sig of [sdm120, sdm630]) t.deepEqual(sig.find((s) => s.address === 70)?.expect, { frequency: { min: 45, max: 65 } });
});

test('poll "slow" is kept on the SDM settings registers; every other register has no poll field', (t) => {
  const regs = loadProfile('sdm630').registers;
  t.deepEqual(regs.filter((r) => r.poll === 'slow').map((r) => r.name), ['parityStopCode', 'modbusAddress', 'baudRateCode']);
  t.true(regs.filter((r) => r.kind === 'input').every((r) => !('poll' in r)));
  const p = rawProfile('prepaid');
  p.registers[16].poll = 'every';
  t.false('poll' in validateProfile(p).registers[16]!);
});
