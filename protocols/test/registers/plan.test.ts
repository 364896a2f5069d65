import test from 'ava';
import fc from 'fast-check';
import { decodeBlock, encodeBlock, loadProfile, planPollReads, planReads, registerWidth, type ReadBlock, type RegisterDef, type ValueType, MEASUREMENTS } from '../../src/registers/index.js';
import { def, throwsCode } from './helpers.js';

const readable = (defs: readonly RegisterDef[]) => defs.filter((d) => d.access !== 'w');
const end = (d: RegisterDef) => d.address + registerWidth(d.type);

/** Invariants every plan must keep, whatever the options. */
function checkPlan(defs: readonly RegisterDef[], blocks: ReadBlock[], maxRegisters: number, maxBits: number, maxGap: number): string | undefined {
  const seen = new Set<RegisterDef>();
  for (const [i, b] of blocks.entries()) {
    const limit = b.kind === 'coil' || b.kind === 'discrete' ? maxBits : maxRegisters;
    if (b.count > limit) return `block ${i} has ${b.count} > ${limit}`;
    let last = b.address;
    for (const r of b.registers) {
      if (r.kind !== b.kind) return `block ${i} mixes kinds`;
      if (r.address < b.address || end(r) > b.address + b.count) return `${r.name} outside block ${i}`;
      if (r.address - last > maxGap) return `gap ${r.address - last} > ${maxGap} in block ${i}`;
      last = Math.max(last, end(r));
      if (seen.has(r)) return `${r.name} read twice`;
      seen.add(r);
    }
    if (last !== b.address + b.count || b.registers[0]?.address !== b.address) return `block ${i} not tight`;
    const next = blocks[i + 1];
    if (next && next.kind === b.kind) {
      if (next.address < b.address + b.count) return `blocks ${i} and ${i + 1} overlap`;
      // greedy maximality: the next block could not have joined this one
      const joinable = next.address - (b.address + b.count) <= maxGap && end(next.registers[0]!) - b.address <= limit;
      if (joinable) return `blocks ${i} and ${i + 1} could be one`;
    }
    if (next && next.kind < b.kind) return 'blocks not sorted by kind';
  }
  if (seen.size !== readable(defs).length) return 'not every readable register is read';
  return undefined;
}

test('planReads coalesces the SDM630 map into three reads', (t) => {
  const regs = loadProfile('sdm630').registers;
  const blocks = planReads(regs);
  t.deepEqual(blocks.map((b) => [b.kind, b.address, b.count]), [['holding', 0x12, 12], ['input', 0, 0x4c], ['input', 0x156, 10]]);
  t.is(checkPlan(regs, blocks, 125, 2000, 16), undefined);
});

test('planPollReads: the SDM630 and SDM120 settings are read apart, so an SDM630 poll makes two reads, not three', (t) => {
  const sdm630 = planPollReads(loadProfile('sdm630').registers);
  t.deepEqual(sdm630.every.map((b) => [b.kind, b.address, b.count]), [['input', 0, 0x4c], ['input', 0x156, 10]]);
  t.deepEqual(sdm630.slow.map((b) => [b.kind, b.address, b.count, b.registers.map((r) => r.name)]), [['holding', 0x12, 12, ['parityStopCode', 'modbusAddress', 'baudRateCode']]]);
  const sdm120 = planPollReads(loadProfile('sdm120').registers);
  t.deepEqual(sdm120.every, planReads(loadProfile('sdm120').registers.filter((r) => r.kind === 'input')));
  t.deepEqual(sdm120.slow.map((b) => b.kind), ['holding']);
  // every register is read by exactly one of the two plans, and no measurement is slow
  for (const id of ['sdm630', 'sdm120']) {
    const regs = loadProfile(id).registers;
    const plan = planPollReads(regs);
    const names = [...plan.every, ...plan.slow].flatMap((b) => b.registers.map((r) => r.name)).sort();
    t.deepEqual(names, regs.filter((r) => r.access !== 'w').map((r) => r.name).sort());
    t.true(plan.slow.every((b) => b.registers.every((r) => MEASUREMENTS[r.name] === undefined)));
  }
});

test('planPollReads without slow registers is planReads: the prepaid map is read whole every poll', (t) => {
  const regs = loadProfile('prepaid').registers;
  const plan = planPollReads(regs);
  t.deepEqual(plan.every, planReads(regs));
  t.deepEqual(plan.slow, []);
});

test('planReads respects maxGap and maxRegisters', (t) => {
  const regs = loadProfile('sdm630').registers;
  const tight = planReads(regs, { maxGap: 0 }).filter((b) => b.kind === 'input');
  // contiguous runs only: V/I/P 0..17, PF 30..35, 52, 62, 70..75, 342..343, 346..351
  t.deepEqual(tight.map((b) => [b.address, b.count]), [[0, 18], [30, 6], [52, 2], [62, 2], [70, 6], [342, 2], [346, 6]]);
  const small = planReads(regs, { maxRegisters: 10 });
  t.true(small.every((b) => b.count <= 10));
  t.is(checkPlan(regs, small, 10, 2000, 16), undefined);
});

test('planReads skips write-only registers and never mixes kinds', (t) => {
  const blocks = planReads(loadProfile('prepaid').registers);
  t.deepEqual(blocks.find((b) => b.kind === 'coil')!.registers.map((r) => r.name), ['relayClosed', 'relayCommand']);
  t.true(blocks.every((b) => b.registers.every((r) => r.kind === b.kind)));
});

test('planReads rejects options outside the Modbus limits', (t) => {
  throwsCode(t, () => planReads([], { maxRegisters: 126 }), 'E_VALUE_RANGE');
  throwsCode(t, () => planReads([], { maxBits: 0 }), 'E_VALUE_RANGE');
  throwsCode(t, () => planReads([], { maxGap: -1 }), 'E_VALUE_RANGE');
  throwsCode(t, () => planReads([def('u64')], { maxRegisters: 2 }), 'E_VALUE_RANGE');
});

test('property: plans keep their invariants for random register sets', (t) => {
  const types: ValueType[] = ['u16', 'u32', 'u64', 'f32'];
  const regArb = fc.record({
    kind: fc.constantFrom('coil', 'discrete', 'holding', 'input'),
    address: fc.integer({ min: 0, max: 400 }),
    type: fc.constantFrom(...types),
    access: fc.constantFrom('r', 'rw', 'w'),
  });
  fc.assert(
    fc.property(fc.array(regArb, { maxLength: 40 }), fc.integer({ min: 4, max: 125 }), fc.integer({ min: 1, max: 2000 }), fc.nat(40), (raw, maxRegisters, maxBits, maxGap) => {
      // drop overlapping registers (validateProfile would reject them)
      const defs: RegisterDef[] = [];
      for (const [i, r] of raw.entries()) {
        const bits = r.kind === 'coil' || r.kind === 'discrete';
        const d = def('u16', { ...r, type: bits ? 'bool' : r.type, name: `r${i}`, kind: r.kind as RegisterDef['kind'], access: r.access as RegisterDef['access'] });
        if (!defs.some((o) => o.kind === d.kind && d.address < end(o) && o.address < end(d))) defs.push(d);
      }
      const problem = checkPlan(defs, planReads(defs, { maxRegisters, maxBits, maxGap }), maxRegisters, maxBits, maxGap);
      if (problem) throw new Error(problem);
    }),
  );
  t.pass();
});

test('decodeBlock maps SDM630 words back to values', (t) => {
  const input = planReads(loadProfile('sdm630').registers).find((b) => b.kind === 'input' && b.address === 0)!;
  const words = new Array<number>(input.count).fill(0);
  words.splice(0, 2, 0x4366, 0x0000); // voltageL1 230.0 V
  words.splice(0x46, 2, 0x4248, 0x0000); // frequency 50.0 Hz
  words.splice(0x48, 2, 0x449a, 0x5000); // energyImport 1234.5 kWh
  const values = decodeBlock(input, words);
  t.like(values, { voltageL1: 230, frequency: 50, energyImport: 1_234_500, voltageL2: 0 });
  t.is(Object.keys(values).length, input.registers.length);
});

test('encodeBlock and decodeBlock are inverse on every block of every profile', (t) => {
  for (const id of ['prepaid', 'sdm120', 'sdm630']) {
    for (const block of planReads(loadProfile(id).registers)) {
      const inRange = (r: RegisterDef, v: number) => Math.min(Math.max(v, r.min ?? v), r.max ?? v);
      const values = Object.fromEntries(block.registers.map((r, i) => [r.name, r.type === 'bool' ? i % 2 : inRange(r, i + 1)]));
      t.deepEqual(decodeBlock(block, encodeBlock(block, values)), values, `${id} ${block.kind} ${block.address}`);
    }
  }
});

test('decodeBlock: coils one bit each, padding ignored; errors name the register and offset', (t) => {
  const coils = planReads(loadProfile('prepaid').registers).find((b) => b.kind === 'coil')!;
  t.deepEqual(decodeBlock(coils, [1, 0, 0, 0, 0, 0, 0, 0]), { relayClosed: 1, relayCommand: 0 });
  t.is(throwsCode(t, () => decodeBlock(coils, [1, 2]), 'E_FRAME_VALUE').context.offset, 1);
  throwsCode(t, () => decodeBlock(coils, [1]), 'E_FRAME_SHORT');
  const input = planReads(loadProfile('prepaid').registers).find((b) => b.kind === 'input')!;
  const words = new Array<number>(input.count).fill(0);
  words[6] = 0x10000; // currentL1 high word
  const e = throwsCode(t, () => decodeBlock(input, words), 'E_FRAME_VALUE');
  t.is(e.context.register, 'currentL1');
  t.is(e.context.offset, 12);
});
