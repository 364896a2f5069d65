import test from 'ava';
import fc from 'fast-check';
import { PrepaidError } from '../../src/errors.js';
import { findFrame } from '../../src/dlt645/find-frame.js';
import { encodeFrame, type Dlt645Frame } from '../../src/dlt645/frame.js';
import { Dlt645FrameStream, Dlt645Splitter } from '../../src/dlt645/splitter.js';
import { encodeReadDataReply, encodeRelayControlReply } from '../../src/dlt645/replies.js';
import { encodeReadDataRequest } from '../../src/dlt645/requests.js';
import { returnsOrPrepaidError } from './helpers.js';

const A = encodeReadDataRequest('000000000001', '00010000'); // with 4 FE
const B = encodeReadDataReply('000000000001', '00010000', Buffer.from([0x56, 0x34, 0x12, 0x00]), { preamble: 0 });
const C = encodeRelayControlReply('000000000002', { preamble: 2 });

function collect(chunks: Uint8Array[]): { frames: Dlt645Frame[]; garbage: Array<[PrepaidError, Buffer]> } {
  const garbage: Array<[PrepaidError, Buffer]> = [];
  const s = new Dlt645Splitter({ onGarbage: (e, b) => garbage.push([e, b]) });
  const frames = chunks.flatMap((c) => s.push(c));
  return { frames, garbage };
}

test('findFrame: a whole frame with preamble is consumed exactly, with no error', (t) => {
  const r = findFrame(A);
  t.is(r.start, 4);
  t.is(r.consumed, A.length);
  t.is(r.frame?.functionCode, 0x11);
  t.is(r.error, undefined);
});

test('findFrame: an incomplete frame consumes nothing and waits', (t) => {
  for (let n = 0; n < A.length; n++) {
    const r = findFrame(A.subarray(0, n));
    t.is(r.frame, undefined);
    t.is(r.error, undefined, `prefix of ${n}`);
    // only leading FE bytes may be dropped while waiting
    t.true(r.consumed <= 4);
  }
});

test('findFrame: garbage before a frame is skipped and reported', (t) => {
  const r = findFrame(Buffer.concat([Buffer.from([0x01, 0x02, 0x68, 0x03]), B]));
  t.is(r.start, 4);
  t.is(r.consumed, 4 + B.length);
  t.true(r.error instanceof PrepaidError);
  t.is(r.frame?.control, 0x91);
});

test('findFrame: only garbage is dropped whole with E_FRAME_START at its first byte', (t) => {
  const r = findFrame(Buffer.from([0xfe, 0x00, 0x11, 0x22]));
  t.is(r.consumed, 4);
  t.is(r.error?.code, 'E_FRAME_START');
  t.is(r.error?.offset, 1);
});

test('splitter: frames split into single bytes come out whole and in order', (t) => {
  const all = Buffer.concat([A, B, C]);
  const { frames, garbage } = collect([...all].map((b) => Buffer.of(b)));
  t.deepEqual(
    frames.map((f) => [f.address, f.control]),
    [
      ['000000000001', 0x11],
      ['000000000001', 0x91],
      ['000000000002', 0x9c],
    ],
  );
  t.deepEqual(garbage, []);
});

test('splitter: resynchronises after garbage, a corrupted frame and a stray 68', (t) => {
  const corrupt = Buffer.from(B);
  corrupt[corrupt.length - 2] = corrupt[corrupt.length - 2]! ^ 0xff; // bad checksum
  const { frames, garbage } = collect([Buffer.from([0x00, 0x68, 0x68, 0x12]), A, corrupt, Buffer.from([0x55]), C]);
  t.deepEqual(
    frames.map((f) => f.control),
    [0x11, 0x9c],
  );
  t.true(garbage.length >= 2);
  t.true(garbage.some(([e]) => e.code === 'E_FRAME_CHECKSUM'));
});

test('splitter: a stray 68 announcing a long frame does not hold back the real frames behind it', (t) => {
  // 68 + 6 bytes + 68 + C + L=FF looks like the start of a 267-byte frame
  const fake = Buffer.from([0x68, 1, 2, 3, 4, 5, 6, 0x68, 0x11, 0xff]);
  const s = new Dlt645Splitter();
  const got = [...s.push(fake), ...s.push(B), ...s.push(C)];
  t.deepEqual(
    got.map((f) => f.control),
    [0x91, 0x9c],
  );
  t.is(s.pending, 0);
});

test('splitter: holds a possible frame only until its declared length is in, then drops it', (t) => {
  const garbage: PrepaidError[] = [];
  const s = new Dlt645Splitter({ maxBuffer: 10, onGarbage: (e) => garbage.push(e) });
  s.push(Buffer.from([0x68, 1, 2, 3, 4, 5, 6, 0x68, 0x11, 0xff])); // declares 267 bytes
  let most = 0;
  for (let i = 0; i < 6; i++) {
    s.push(Buffer.alloc(50, 0x33));
    most = Math.max(most, s.pending);
  }
  t.is(most, 260);
  t.is(s.pending, 0); // 310 bytes in: the candidate was complete, failed its checksum, and went
  t.is(garbage[0]?.code, 'E_FRAME_CHECKSUM');
  s.push(Buffer.from([0xfe, 0x68, 0x01]));
  const end = s.end();
  t.is(end.error?.code, 'E_FRAME_SHORT');
  t.is(s.pending, 0);
  t.deepEqual(s.end(), {});
});

test('stream form emits frames and frameError events', async (t) => {
  const stream = new Dlt645FrameStream();
  const errors: PrepaidError[] = [];
  stream.on('frameError', (e: PrepaidError) => errors.push(e));
  const frames: Dlt645Frame[] = [];
  stream.on('data', (f: Dlt645Frame) => frames.push(f));
  const done = new Promise((resolve) => stream.on('end', resolve));
  stream.write(Buffer.from([0x01, 0x02]));
  stream.write(A.subarray(0, 7));
  stream.write(Buffer.concat([A.subarray(7), B]));
  stream.end(Buffer.from([0x68, 0x00]));
  await done;
  t.deepEqual(
    frames.map((f) => f.control),
    [0x11, 0x91],
  );
  t.deepEqual(
    errors.map((e) => e.code),
    ['E_FRAME_START', 'E_FRAME_SHORT'],
  );
});

test('property: any chunking of a stream of frames yields the same frames', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ control: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 40 }), preamble: fc.integer({ min: 0, max: 4 }) }), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
      (specs, cuts) => {
        const wire = Buffer.concat(specs.map((s) => encodeFrame({ address: '123456789012', control: s.control, data: s.data }, { preamble: s.preamble })));
        const chunks: Buffer[] = [];
        for (let i = 0, k = 0; i < wire.length; k++) {
          const n = cuts[k % cuts.length]!;
          chunks.push(wire.subarray(i, i + n));
          i += n;
        }
        const { frames, garbage } = collect(chunks);
        return (
          garbage.length === 0 &&
          frames.length === specs.length &&
          frames.every((f, i) => f.control === specs[i]!.control && Buffer.from(specs[i]!.data).equals(f.data))
        );
      },
    ),
  );
  t.pass();
});

test('property: garbage between frames never loses a frame that follows a clean byte gap', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 20 }), (noise, data) => {
      // The noise cannot contain a 68 here, so it can never swallow the frame behind it.
      const clean = Buffer.from(noise.map((b) => (b === 0x68 ? 0x00 : b)));
      const frame = encodeFrame({ address: '000000000009', control: 0x91, data });
      const { frames } = collect([clean, frame]);
      return frames.length === 1 && frames[0]!.address === '000000000009';
    }),
  );
  t.pass();
});

test('property: random bytes never make findFrame or the splitter throw, and the buffer stays bounded', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 10 }), (chunks) => {
      const s = new Dlt645Splitter();
      for (const c of chunks) {
        if (!returnsOrPrepaidError(() => findFrame(c))) return false;
        s.push(c);
        if (s.pending > 267) return false;
      }
      return true;
    }),
  );
  t.pass();
});
