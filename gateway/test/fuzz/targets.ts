/**
 * Fuzz targets: every decoder and parser that takes input from outside the gateway, each with
 * inputs of two kinds — arbitrary bytes or text, and mutations (bit flips, inserted, deleted,
 * duplicated and truncated spans, spliced corpus entries) of well-formed inputs, so the fuzzer gets
 * past the first length or checksum check and into the decoder's depths.
 *
 * The contract every target checks on every input: the decoder returns, or rejects with a
 * PrepaidError whose code is in the registry (protocols/src/errors.ts); any other exception is a
 * crash. A call that takes more CPU than the hang limit (1 s) is a hang. Targets run from ava (gateway/test/fuzz/
 * decoders.test.ts, 10^4 inputs each) and from `npm run fuzz` (scripts/fuzz.mjs, 10^6 each).
 */
import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { pick, randInt, seeded } from '@prepaid-edge/testkit/seeded';
import {
  decodeFrame,
  decodeOpenPaygoToken,
  decodeRtu,
  decodeTcp,
  decodeToken,
  Dlt645Splitter,
  encodeFrame,
  encodeRegistersResponse,
  encodeRequest,
  encodeRtu,
  encodeTcp,
  ERROR_CODES,
  findFrame,
  formatTokenNumber,
  joinBlock,
  staEncrypt,
  isPrepaidError,
  parseReadDataReply,
  parseRequest,
  parseResponse,
  readTcpFrame,
  RtuAccumulator,
  type ModbusRequest,
} from '@prepaid-edge/protocols';
import { loadOpenPaygoVectors, loadStsVectors } from '@prepaid-edge/protocols/vectors';
import { parseConfig } from '../../src/app/config/load-config.js';
import { verifyCommand } from '../../src/core/commands/envelope.js';
import { signCommand } from '../../src/core/commands/keys.js';
import { decodePayload, encodePayload } from '../../src/core/sparkplug/codec.js';
import { DataType } from '../../src/core/sparkplug/datatypes.js';

/** A coded rejection, or null when the input was accepted. A non-coded throw propagates: a crash. */
export type Verdict = string | null;

export interface FuzzTarget<T = unknown> {
  name: string;
  /** What outside input it stands for. */
  input: string;
  arbitrary: fc.Arbitrary<T>;
  run(input: T): Verdict;
}

const CODES = new Set(Object.keys(ERROR_CODES));

/** Runs `fn`; a PrepaidError with a registered code is a rejection, anything else is rethrown. */
export function coded(fn: () => unknown): Verdict {
  try {
    fn();
    return null;
  } catch (e) {
    if (isPrepaidError(e) && CODES.has(e.code)) return e.code;
    throw e;
  }
}

/**
 * Mutations of corpus entries: the byte-level moves of a mutational fuzzer (bit flip, interesting
 * byte, insert, delete, duplicate, truncate, splice), 1-6 of them, drawn from one seeded PRNG so
 * an input costs microseconds to make and its seed alone replays it.
 */
export function mutate(corpus: readonly Uint8Array[], seed: number): Uint8Array {
  const r = seeded(seed);
  let b = Buffer.from(pick(r, corpus));
  const ops = randInt(r, 1, 6);
  for (let i = 0; i < ops; i++) {
    const at = randInt(r, 0, b.length);
    switch (randInt(r, 0, 6)) {
      case 0:
        if (b.length) b[at % b.length]! ^= 1 << randInt(r, 0, 7);
        break;
      case 1:
        if (b.length) b[at % b.length] = pick(r, INTERESTING);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: randInt(r, 1, 8) }, () => randInt(r, 0, 255))), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + randInt(r, 1, 8))]);
        break;
      case 4: {
        const n = randInt(r, 1, 16);
        b = Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]);
        break;
      }
      case 5:
        b = b.subarray(0, at);
        break;
      default: {
        const other = pick(r, corpus);
        b = Buffer.concat([b.subarray(0, at), Buffer.from(other).subarray(randInt(r, 0, other.length))]);
      }
    }
  }
  return new Uint8Array(b);
}
const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x68, 0x16, 0xfe, 0x01, 0x33, 0x30, 0x39] as const;

export const mutated = (corpus: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> => fc.nat().map((seed) => mutate(corpus, seed));

const bytesOrMutations = (corpus: readonly Uint8Array[]) => fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 1 }, { arbitrary: mutated(corpus), weight: 3 });
const textMutations = (corpus: readonly string[]) =>
  fc.oneof({ arbitrary: fc.fullUnicodeString({ maxLength: 200 }), weight: 1 }, { arbitrary: mutated(corpus.map((s) => Buffer.from(s))).map((b) => Buffer.from(b).toString('utf8')), weight: 3 });

// --- Modbus --------------------------------------------------------------------------------------

const READS: ModbusRequest[] = [
  { fc: 0x03, address: 0, count: 2 },
  { fc: 0x04, address: 0x0156, count: 4 },
  { fc: 0x01, address: 0, count: 10 },
  { fc: 0x05, address: 1, value: true },
  { fc: 0x10, address: 10, values: [1, 2, 3] },
  { fc: 0x06, address: 3, value: 0x1234 },
];
const requestPdus = READS.map((r) => encodeRequest(r));
const replyPdus = [encodeRegistersResponse(0x03, [1, 2]), encodeRegistersResponse(0x04, [0x4369, 0xcccd, 0, 1]), Buffer.of(0x83, 0x02), Buffer.of(0x84, 0x0b), Buffer.of(0x01, 0x02, 0xff, 0x03)];
const rtuCorpus = [...requestPdus, ...replyPdus].map((p, i) => encodeRtu((i % 247) + 1, p));
const tcpCorpus = [...requestPdus, ...replyPdus].map((p, i) => encodeTcp(i * 257, (i % 247) + 1, p));

/** PDU mutations framed with a good CRC: past the CRC check, into the PDU parsers. */
const goodCrcFrames = fc.tuple(fc.integer({ min: 0, max: 255 }), mutated([...requestPdus, ...replyPdus])).map(([unit, pdu]) => new Uint8Array(encodeRtu(unit, pdu)));

const modbusRtuFrame: FuzzTarget<Uint8Array> = {
  name: 'modbus-rtu-frame',
  input: 'a Modbus RTU frame off a serial line (decodeRtu, then the PDU as request and as reply)',
  arbitrary: fc.oneof(bytesOrMutations(rtuCorpus), goodCrcFrames),
  run(b) {
    return coded(() => {
      const f = decodeRtu(b);
      for (const req of READS) coded(() => parseResponse(f.pdu, req));
      coded(() => parseRequest(f.pdu));
    });
  },
};

const modbusRtuStream: FuzzTarget<Uint8Array[]> = {
  name: 'modbus-rtu-stream',
  input: 'bytes of an RS-485 line in arbitrary chunks (RtuAccumulator both directions, silence between)',
  arbitrary: fc.array(fc.oneof(bytesOrMutations(rtuCorpus), goodCrcFrames), { maxLength: 6 }),
  run(chunks) {
    for (const dir of ['request', 'response'] as const) {
      const acc = new RtuAccumulator(dir);
      for (const c of chunks) {
        for (const f of acc.push(c)) decodeRtu(f); // a frame it hands out decodes
        if (acc.pending > 256) throw new Error(`RtuAccumulator holds ${acc.pending} bytes`);
      }
      const s = acc.silence();
      if (s.error && !CODES.has(s.error.code)) throw new Error(`silence(): uncoded ${String(s.error)}`);
    }
    return null;
  },
};

const modbusTcp: FuzzTarget<Uint8Array> = {
  name: 'modbus-tcp-frame',
  input: 'a Modbus TCP stream (readTcpFrame over the buffer, decodeTcp, the PDU as request and reply)',
  arbitrary: bytesOrMutations(tcpCorpus),
  run(b) {
    return coded(() => {
      let off = 0;
      for (let i = 0; i < 64; i++) {
        const r = readTcpFrame(b, off);
        if (!r) break;
        if (r.consumed <= 0) throw new Error('readTcpFrame consumed nothing');
        off += r.consumed;
        for (const req of READS) coded(() => parseResponse(r.frame.pdu, req));
        coded(() => parseRequest(r.frame.pdu));
      }
      coded(() => decodeTcp(b));
    });
  },
};

// --- DL/T 645 ------------------------------------------------------------------------------------

const DLT_ADDRESS = '000000123456';
const dltCorpus = [
  encodeFrame({ address: DLT_ADDRESS, control: 0x11, data: Buffer.from([0x33, 0x33, 0x34, 0x33]) }),
  encodeFrame({ address: DLT_ADDRESS, control: 0x91, data: Buffer.from([0x33, 0x33, 0x34, 0x33, 0x45, 0x67, 0x33, 0x33]) }),
  encodeFrame({ address: DLT_ADDRESS, control: 0xd1, data: Buffer.from([0x35]) }),
  encodeFrame({ address: DLT_ADDRESS, control: 0x93, data: Buffer.from([0x56, 0x34, 0x12, 0x00, 0x00, 0x00]) }),
];

/** Control byte and DATA mutated, framed with a good checksum: past the frame checks, into the reply parser. */
const goodChecksumFrames = fc
  .tuple(fc.integer({ min: 0, max: 255 }), mutated([Buffer.from([0x00, 0x00, 0x01, 0x00]), Buffer.from([0, 0, 1, 0, 0x12, 0x34, 0, 0]), Buffer.from([0x02]), Buffer.alloc(0)]))
  .map(([control, data]) => new Uint8Array(encodeFrame({ address: DLT_ADDRESS, control, data: data.subarray(0, 200) })));

const dlt645Frame: FuzzTarget<Uint8Array> = {
  name: 'dlt645-frame',
  input: 'a DL/T 645-2007 frame (decodeFrame, findFrame, the read reply parser)',
  arbitrary: fc.oneof(bytesOrMutations(dltCorpus), goodChecksumFrames),
  run(b) {
    coded(() => findFrame(b));
    return coded(() => {
      const f = decodeFrame(b);
      coded(() => parseReadDataReply(f));
      coded(() => parseReadDataReply(f, '00010000'));
    });
  },
};

const dlt645Stream: FuzzTarget<Uint8Array[]> = {
  name: 'dlt645-stream',
  input: 'a DL/T 645 byte stream in arbitrary chunks (Dlt645Splitter, bounded buffer)',
  arbitrary: fc.array(fc.oneof(bytesOrMutations(dltCorpus), goodChecksumFrames), { maxLength: 6 }),
  run(chunks) {
    const s = new Dlt645Splitter({ maxBuffer: 1024, onGarbage: (e) => void (CODES.has(e.code) || (() => { throw new Error(`uncoded garbage error ${e.code}`); })()) });
    for (const c of chunks) {
      s.push(c);
      if (s.pending > 1024) throw new Error(`Dlt645Splitter holds ${s.pending} bytes`);
    }
    const end = s.end();
    if (end.error && !CODES.has(end.error.code)) throw new Error(`end(): uncoded ${end.error.code}`);
    return null;
  },
};

// --- Tokens --------------------------------------------------------------------------------------

const sts = loadStsVectors();
const stsKey = Object.values(sts.dkga02_ea07.derived_decoder_keys)[0]!;
const stsCorpus = [...sts.dkga02_ea07.tokens.map((t) => t.token), ...sts.class1_cleartext.map((t) => t.token)];

const stsToken: FuzzTarget<string> = {
  name: 'sts-token',
  input: 'an STS (IEC 62055-41) token typed on the keypad or sent in a command',
  arbitrary: fc.oneof(
    textMutations(stsCorpus),
    fc.stringMatching(/^[0-9 -]{0,30}$/),
    // Any subclass and body with the right CRC, so the field decoders behind the CRC see every value.
    fc.tuple(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 15 }), fc.bigInt({ min: 0n, max: (1n << 44n) - 1n })).map(([cls, sub, body]) => {
      const block = joinBlock(cls, sub, body);
      return formatTokenNumber(cls, cls === 1 ? block : staEncrypt(block, Buffer.from(stsKey, 'hex')));
    }),
  ),
  run(token) {
    return coded(() => decodeToken(token, stsKey));
  },
};

const opg = loadOpenPaygoVectors();
const opgCorpus = opg.map((v) => v.token);

const openPaygoToken: FuzzTarget<{ token: string; v: number }> = {
  name: 'openpaygo-token',
  input: 'an OpenPAYGO token (9, 12, 15 or 20 digits) for a device state',
  arbitrary: fc.record({ token: fc.oneof(textMutations(opgCorpus), fc.stringMatching(/^[0-9]{0,24}$/)), v: fc.nat({ max: opg.length - 1 }) }),
  run({ token, v }) {
    const d = opg[v]!;
    return coded(() => decodeOpenPaygoToken(token, { key: d.key, startingCode: d.starting_code, lastCount: d.count - 1 }));
  },
};

// --- Config YAML ---------------------------------------------------------------------------------

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const configCorpus = ['sim-tcp.yaml', 'sim-rtu.yaml', 'sim-dlt645.yaml', 'sim-prepaid.yaml'].map((f) => readFileSync(EXAMPLES + f, 'utf8'));

const configYaml: FuzzTarget<string> = {
  name: 'config-yaml',
  input: 'a gateway configuration file (YAML, schema, cross checks)',
  arbitrary: textMutations(configCorpus),
  run(text) {
    return coded(() => parseConfig(text, 'fuzz.yaml'));
  },
};

// --- Signed command envelopes --------------------------------------------------------------------

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const KEYS = new Map([['head-end', publicKey]]);
const NOW = Date.UTC(2026, 11, 4, 12);
const commandCorpus = [
  { id: 'c-1', type: 'topup', meter: 'flat-1', amount: 5000, currency: 'EUR', issuedAt: NOW - 1000, expiresAt: NOW + 3_600_000 },
  { id: 'c-2', type: 'relay-override', meter: 'flat-1', state: 'disconnected', until: NOW + 60_000, issuedAt: NOW, expiresAt: NOW + 60_000 },
  { id: 'c-3', type: 'token', meter: 'flat-1', scheme: 'sts', token: stsCorpus[0], issuedAt: NOW, expiresAt: NOW + 60_000 },
  { id: 'c-4', type: 'emergency-credit', meter: 'flat-1', issuedAt: NOW, expiresAt: NOW + 60_000, note: 'phoned' },
  { id: 'c-5', type: 'policy', customerClass: 'residential', policy: { id: 'p', lowCredit: 100 }, activeFrom: NOW, issuedAt: NOW, expiresAt: NOW + 60_000 },
].map((c) => JSON.stringify(signCommand(c, privateKey, 'head-end')));

/** Random JSON objects that carry the command's fields, signed: the shape checks run past the signature. */
const signedObjects = fc
  .record(
    {
      id: fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant(null)),
      type: fc.oneof(fc.constantFrom('topup', 'tariff', 'policy', 'relay-override', 'token', 'emergency-credit', 'nope'), fc.string()),
      meter: fc.oneof(fc.constant('flat-1'), fc.string({ maxLength: 40 }), fc.anything()),
      amount: fc.oneof(fc.integer(), fc.double(), fc.bigInt().map(String), fc.anything()),
      currency: fc.oneof(fc.constantFrom('EUR', 'energy', 'CNY'), fc.string({ maxLength: 5 })),
      issuedAt: fc.oneof(fc.constant(NOW), fc.integer(), fc.double()),
      expiresAt: fc.oneof(fc.constant(NOW + 60_000), fc.integer(), fc.double()),
      state: fc.oneof(fc.constantFrom('connected', 'disconnected', 'auto'), fc.anything()),
      until: fc.oneof(fc.constant(NOW + 1000), fc.anything()),
      scheme: fc.oneof(fc.constantFrom('sts', 'openpaygo'), fc.anything()),
      token: fc.oneof(fc.constantFrom(...stsCorpus), fc.anything()),
      tariff: fc.anything(),
      policy: fc.anything(),
      customerClass: fc.oneof(fc.string({ maxLength: 20 }), fc.anything()),
      activeFrom: fc.oneof(fc.constant(NOW), fc.anything()),
      note: fc.anything(),
    },
    { requiredKeys: ['type', 'id'] },
  )
  .map((o) => {
    try {
      return JSON.stringify(signCommand(o as Record<string, unknown>, privateKey, 'head-end'));
    } catch {
      return JSON.stringify(o); // not signable (e.g. a non-finite number): goes in unsigned
    }
  });

const commandEnvelope: FuzzTarget<string> = {
  name: 'command-envelope',
  input: 'a signed command from MQTT or the console API (JSON, shape, signature, validity window)',
  arbitrary: fc.oneof(textMutations(commandCorpus), signedObjects, fc.json()),
  run(raw) {
    const r = verifyCommand(raw, { keys: KEYS, now: NOW, maxSkewMs: 300_000 });
    if (r.ok) return null;
    if (!CODES.has(r.reason)) throw new Error(`rejection with unregistered reason ${r.reason}`);
    if (!/^[^\n]*?: /.test(r.message)) throw new Error(`rejection message does not start with the field: ${r.message}`);
    return r.reason;
  },
};

// --- Sparkplug B ---------------------------------------------------------------------------------

const spbCorpus = [
  encodePayload({ timestamp: NOW, seq: 0, metrics: [{ name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: true }] }),
  encodePayload({ timestamp: NOW, metrics: [{ name: 'relay/override', datatype: DataType.String, value: 'auto', alias: 5 }, { alias: 7, datatype: DataType.Int64, value: 12 }] }),
];

const sparkplugPayload: FuzzTarget<Uint8Array> = {
  name: 'sparkplug-payload',
  input: 'a Sparkplug B NCMD/DCMD payload (protobuf) from a host application',
  arbitrary: bytesOrMutations(spbCorpus),
  run(b) {
    return coded(() => decodePayload(b));
  },
};

export const TARGETS: FuzzTarget<never>[] = [modbusRtuFrame, modbusRtuStream, modbusTcp, dlt645Frame, dlt645Stream, stsToken, openPaygoToken, configYaml, commandEnvelope, sparkplugPayload] as FuzzTarget<never>[];

export interface FuzzReport {
  target: string;
  runs: number;
  accepted: number;
  rejected: Record<string, number>;
  slowestMs: number;
  seed: number;
  crash?: string;
}

/**
 * Runs a target `runs` times from `seed`. A crash (uncoded throw) or a hang (a call over
 * `hangMs`) stops the run with the shrunk counterexample in `crash`.
 */
export function fuzz(target: FuzzTarget<never>, runs: number, seed: number, hangMs = 1000): FuzzReport {
  const report: FuzzReport = { target: target.name, runs: 0, accepted: 0, rejected: {}, slowestMs: 0, seed };
  const t = target as FuzzTarget<unknown>;
  const result = fc.check(
    fc.property(t.arbitrary, (input) => {
      // CPU time, not wall time: on a loaded machine the scheduler can pause any call for a second.
      const c0 = process.cpuUsage();
      const verdict = t.run(input);
      const c = process.cpuUsage(c0);
      const ms = (c.user + c.system) / 1000;
      if (ms > report.slowestMs) report.slowestMs = ms;
      if (ms > hangMs) throw new Error(`hang: ${ms.toFixed(0)} ms of CPU for one input`);
      return verdict === undefined ? true : (void (verdict === null ? report.accepted++ : (report.rejected[verdict] = (report.rejected[verdict] ?? 0) + 1)), true);
    }),
    { numRuns: runs, seed },
  );
  report.runs = result.numRuns;
  if (result.failed) report.crash = `${String(result.errorInstance ?? 'failed')}\ncounterexample: ${fc.stringify(result.counterexample)}`;
  return report;
}
