/**
 * The hardware-in-the-loop suite: the same tests against a real meter (HW_SERIAL and/or HW_BOARD,
 * see src/target.ts and README.md) or, by default, the simulator's firmware meter. CI runs the
 * simulated variant; a technician runs the real one on site. Tests that need something not wired
 * (a jig for pulses, a console for tokens) skip with the reason.
 */
import test, { type ExecutionContext } from 'ava';
import {
  bitsPerChar,
  decodeBlock,
  encodeRequest,
  encodeRtu,
  isPlausible,
  loadProfile,
  planReads,
  registerWidth,
  type ModbusRequest,
  type ModbusResponse,
} from '@prepaid-edge/protocols';
import { openTarget, VECTOR_TOKENS, type Target } from '../src/target.js';

const profile = loadProfile('prepaid');
let target: Target;

test.before(async () => {
  target = await openTarget();
});
test.after.always(async () => {
  await target?.close();
});

async function ask(req: ModbusRequest): Promise<ModbusResponse> {
  const r = await target.master.transact(target.unit, req);
  if (!r.response) throw new Error(`no reply to ${JSON.stringify(req)}`);
  return r.response;
}
async function words(fc: 0x03 | 0x04, address: number, count: number): Promise<number[]> {
  const r = await ask({ fc, address, count });
  if (!('registers' in r)) throw new Error(`exception ${JSON.stringify(r)}`);
  return r.registers;
}
async function coils(address: number, count: number): Promise<boolean[]> {
  const r = await ask({ fc: 0x01, address, count });
  if (!('bits' in r)) throw new Error(`exception ${JSON.stringify(r)}`);
  return r.bits;
}
const u64 = (w: number[], i: number) => ((w[i]! * 65536 + w[i + 1]!) * 65536 + w[i + 2]!) * 65536 + w[i + 3]!;
const energy = async () => u64(await words(0x04, 12, 4), 0);
const threshold = async () => u64(await words(0x03, 8, 4), 0);
const relayState = async () => (await words(0x04, 21, 1))[0]!;
async function newestEvents(n: number): Promise<Array<{ type: number; value: number }>> {
  const out: Array<{ type: number; value: number }> = [];
  for (let i = 0; i < n; i++) {
    await ask({ fc: 0x06, address: 16, value: i });
    const w = await words(0x04, 25, 7);
    out.push({ type: w[0]!, value: ((w[5]! << 16) | w[6]!) >> 0 });
  }
  await ask({ fc: 0x06, address: 16, value: 0 });
  return out;
}
/** Make sure the relay is closed (and the backup threshold off) before tests that need supply. */
async function supplyOn(): Promise<void> {
  await ask({ fc: 0x10, address: 8, values: [0, 0, 0, 0] });
  await ask({ fc: 0x06, address: 15, value: 0 });
  await ask({ fc: 0x05, address: 1, value: true });
}
function needs(t: ExecutionContext, what: unknown, why: string): boolean {
  if (what) return true;
  t.log(`skipped on ${target.label}: ${why}`);
  t.pass();
  return false;
}

test.serial('reads every register of the map: in one read per block and one by one, values plausible', async (t) => {
  t.log(target.label);
  const sig = await words(0x04, 0, 5);
  t.is(sig[0], 0x5045, 'model code "PE"');
  t.is(sig[1], 1, 'map revision 1');
  const values: Record<string, number> = {};
  for (const b of planReads(profile.registers)) {
    const r = await ask({ fc: b.kind === 'coil' ? 0x01 : b.kind === 'holding' ? 0x03 : 0x04, address: b.address, count: b.count } as ModbusRequest);
    const w = 'bits' in r ? r.bits.map(Number) : 'registers' in r ? r.registers : [];
    t.is(w.length, b.count, `${b.kind} block`);
    Object.assign(values, decodeBlock(b, w));
  }
  for (const d of profile.registers) {
    if (d.access === 'w') continue;
    const fc = d.kind === 'coil' ? 0x01 : d.kind === 'holding' ? 0x03 : 0x04;
    const r = await ask({ fc, address: d.address, count: registerWidth(d.type) } as ModbusRequest);
    t.false('exception' in r, `${d.name} reads on its own`);
    const v = values[d.name]!;
    const measured = ['voltageL1', 'frequency', 'powerFactor', 'currentL1'].includes(d.name);
    if (!measured || values.frequency !== 0) t.true(isPlausible(d, v), `${d.name}=${v} plausible`);
  }
  t.is(values.status! >> 10, 0, 'reserved status bits read 0');
  t.is(values.status! & 1, values.relayClosed!, 'status bit 0 = coil 0');
  t.true(values.eventCounter! >= values.eventLogCount!);
});

test.serial('relay open/close with readback (coil 0, relay state, event log, contact)', async (t) => {
  await supplyOn();
  await ask({ fc: 0x05, address: 1, value: false });
  t.deepEqual(await coils(0, 2), [false, false]);
  t.is(await relayState(), 0);
  t.deepEqual((await newestEvents(1))[0], { type: 1, value: 1 });
  if (target.stimulus) t.false(await target.stimulus.relayClosed(), 'contact sensed open');
  await ask({ fc: 0x05, address: 1, value: true });
  t.deepEqual(await coils(0, 2), [true, true]);
  t.is(await relayState(), 1);
  t.deepEqual((await newestEvents(1))[0], { type: 2, value: 1 });
  if (target.stimulus) t.true(await target.stimulus.relayClosed(), 'contact sensed closed');
  // arm only: ready for reconnection until the customer presses the button
  await ask({ fc: 0x06, address: 15, value: 1 });
  await ask({ fc: 0x05, address: 1, value: false });
  await ask({ fc: 0x05, address: 1, value: true });
  t.is(await relayState(), 2);
  t.false((await coils(0, 1))[0]);
  if (needs(t, target.stimulus, 'no jig to press the button')) {
    await target.stimulus!.pressButton();
    t.is(await relayState(), 1);
    t.deepEqual((await newestEvents(1))[0], { type: 2, value: 2 });
  }
  await supplyOn();
});

test.serial('token entry end to end: accepted once, credit moves the backup threshold, logged', async (t) => {
  if (!needs(t, target.enterToken, 'no way to enter a token (set HW_CONSOLE and HW_CONSOLE_PIN)')) return;
  const token = target.kind === 'simulator' ? VECTOR_TOKENS.first : target.freshToken?.();
  if (!needs(t, token, 'no decoder key to make a token (set HW_STS_KEY)')) return;
  await ask({ fc: 0x10, address: 8, values: [0, 0, 0, 0] });
  const e0 = await energy();
  t.true(await target.enterToken!(token!), 'accepted');
  t.is(await threshold(), e0 + 100, '0.1 kWh of local credit from the present energy');
  t.deepEqual((await newestEvents(1))[0], { type: 16, value: 8 });
  t.false(await target.enterToken!(token!), 'the same token again is refused');
  t.is(await threshold(), e0 + 100);
  await supplyOn();
});

test.serial('power cycle in the middle of energy accumulation: no pulse lost, relay intent kept, logged', async (t) => {
  if (!needs(t, target.stimulus, 'no jig to make pulses and cut the supply (set HW_BOARD)')) return;
  await supplyOn();
  const e0 = await energy();
  await target.stimulus!.pulses(20);
  await target.stimulus!.powerCycle(3000);
  await target.stimulus!.pulses(20);
  t.is(await energy(), e0 + 40);
  t.is(await relayState(), 1);
  t.true(await target.stimulus!.relayClosed());
  const ev = await newestEvents(3);
  t.deepEqual(ev.slice(0, 2).map((e) => e.type).reverse(), [14, 15], 'power down then power up');
  // an open relay stays open across a power cycle
  await ask({ fc: 0x05, address: 1, value: false });
  await target.stimulus!.powerCycle(3000);
  t.is(await relayState(), 0);
  t.false(await target.stimulus!.relayClosed());
  await supplyOn();
});

test.serial('bus timing: replies within the Modbus timeout, other units and broadcasts get silence', async (t) => {
  const read = { fc: 0x04, address: 0, count: 32 } as const;
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await target.master.transact(target.unit, read);
    t.truthy(r.response, `read ${i} answered`);
    times.push(r.ms);
  }
  times.sort((a, b) => a - b);
  t.log(`reply times over ${target.master.label}: p50 ${times[10]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms`);
  t.true(times[19]! < 1000, 'every reply inside a 1 s master timeout');
  if (target.kind === 'simulator') {
    // the wire model: request 8 + reply 69 characters at 10 bits, plus the turnaround
    const charMs = (bitsPerChar(target.line.parity) * 1000) / target.line.baudRate;
    t.is(Math.round(times[0]! * 10), Math.round(((8 + 5 + 64) * charMs + target.line.turnaroundMs) * 10));
  }
  const other = target.unit === 247 ? 246 : target.unit + 1 + (target.kind === 'simulator' ? 100 : 0);
  t.is((await target.master.raw(encodeRtu(other, encodeRequest(read)))).bytes, undefined, `unit ${other} is not us`);
  t.is((await target.master.raw(encodeRtu(0, encodeRequest({ fc: 0x06, address: 16, value: 0 })))).bytes, undefined, 'broadcast: no reply');
  t.truthy((await target.master.transact(target.unit, read)).response, 'still answering after silence');
});
