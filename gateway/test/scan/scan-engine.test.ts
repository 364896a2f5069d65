/** The scan engine on an in-process simulator bus: finds, identification, dedupe, progress, abort. */
import test from 'ava';
import { ManualClock } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { findFrame, loadProfile } from '@prepaid-edge/protocols';
import { etaMs, identifyProfile, planScan, probeTimeoutMs, scan, type FoundMeter, type LineSettings, type ReadOutcome, type ScanEvent } from '../../src/adapters/scan/index.js';
import { simLineOpener } from './sim-line.js';

function mixedSim(): Simulator {
  return new Simulator({
    meters: 0,
    clock: new ManualClock({ now: Date.UTC(2026, 0, 1) }),
    scenario: {
      meters: [
        { units: [3], profile: 'sdm630', baudRate: 9600, parity: 'even' },
        { units: [7], profile: 'sdm120', baudRate: 9600, parity: 'none' },
        { units: [12], profile: 'prepaid', baudRate: 19200, parity: 'even' },
        { units: [5], profile: 'dlt645', baudRate: 2400, parity: 'even' },
      ],
    },
  });
}

async function collect(it: AsyncIterable<ScanEvent>): Promise<ScanEvent[]> {
  const out: ScanEvent[] = [];
  for await (const ev of it) out.push(ev);
  return out;
}

test('planScan counts one probe per unit and one DL/T 645 wildcard per line setting', (t) => {
  const p = planScan({ path: 'x', bauds: [9600, 19200], parities: ['even', 'none'], units: [1, 2, 3] });
  t.deepEqual(p.lines, [
    { baudRate: 9600, parity: 'even' },
    { baudRate: 9600, parity: 'none' },
    { baudRate: 19200, parity: 'even' },
    { baudRate: 19200, parity: 'none' },
  ]);
  t.is(p.total, 4 * 4);
  t.is(planScan({ path: 'x', bauds: [9600], parities: ['none'], units: [1, 2], protocol: 'modbus' }).total, 2);
  t.is(planScan({ path: 'x', bauds: [9600], parities: ['none'], protocol: 'dlt645' }).total, 1);
  t.throws(() => planScan({ path: 'x', units: [0] }), { message: /unit 0/ });
});

test('timeouts: explicit wins; otherwise wire time of request + reply plus the turnaround allowance', (t) => {
  t.is(probeTimeoutMs({ timeoutMs: 50 }, { baudRate: 9600, parity: 'none' }, 8, 9), 50);
  // 17 chars x 10 bits at 9600 = 17.7 ms, + 50
  t.is(probeTimeoutMs({}, { baudRate: 9600, parity: 'none' }, 8, 9), 68);
  // 11 bits a char with parity: 17 x 11 / 1200 = 155.8 ms, + 20
  t.is(probeTimeoutMs({ turnaroundMs: 20 }, { baudRate: 1200, parity: 'even' }, 8, 9), 176);
});

test('ETA: first guess before any probe, then the pace so far', (t) => {
  t.is(etaMs(0, 100, 0, 50), 5000);
  t.is(etaMs(10, 100, 1000, 50), 9000);
  t.is(etaMs(100, 100, 5000, 50), 0);
});

const sdm = (profile: string) => loadProfile(profile);
/** A scripted meter: answers reads by "kind:address:count" key; anything else is refused. */
function scripted(answers: Record<string, ReadOutcome>) {
  const asked: string[] = [];
  return {
    asked,
    read: async (r: { kind: string; address: number; count: number }): Promise<ReadOutcome> => {
      const key = `${r.kind}:${r.address}:${r.count}`;
      asked.push(key);
      return answers[key] ?? 'refused';
    },
  };
}
const f32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(v);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
};

test('identification is the profile whose every signature check holds: SDM630 answers L2/L3 alone, SDM120 refuses them', async (t) => {
  const profiles = ['prepaid', 'sdm120', 'sdm630'].map(sdm);
  const sdm630 = scripted({ 'input:0:2': f32(231), 'input:0:5': [...f32(231), ...f32(229), 0x4366], 'input:2:4': [...f32(229), ...f32(0)], 'input:2:2': f32(229), 'input:70:2': f32(50) });
  t.deepEqual(await identifyProfile(profiles, sdm630.read), { profile: 'sdm630', candidates: ['sdm630'] });
  const sdm120 = scripted({ 'input:0:2': f32(231), 'input:0:5': [...f32(231), 0, 0, 0], 'input:70:2': f32(50) });
  t.deepEqual(await identifyProfile(profiles, sdm120.read), { profile: 'sdm120', candidates: ['sdm120'] });
  const prepaid = scripted({ 'input:0:5': [0x5045, 1, 0, 42, 0x0103], 'input:0:2': [0x5045, 1] });
  t.deepEqual(await identifyProfile(profiles, prepaid.read), { profile: 'prepaid', candidates: ['prepaid'] });
});

test('a frequency out of range, two profiles that both hold, or a silent read: profile null with candidates and the problem', async (t) => {
  const profiles = ['sdm120', 'sdm630'].map(sdm);
  const noGrid = scripted({ 'input:0:2': f32(231), 'input:70:2': f32(0) });
  t.like(await identifyProfile(profiles, noGrid.read), { profile: null, candidates: [], problem: 'no profile signature holds' });
  // The same profile twice under two names: nothing in the data tells them apart.
  const twin = { ...sdm('sdm120'), id: 'sdm120-copy' };
  const ambiguous = await identifyProfile([sdm('sdm120'), twin], scripted({ 'input:0:2': f32(231), 'input:70:2': f32(50) }).read);
  t.is(ambiguous.profile, null);
  t.deepEqual(ambiguous.candidates, ['sdm120', 'sdm120-copy']);
  t.regex(ambiguous.problem ?? '', /ambiguous.*sdm120 and sdm120-copy/);
  const silent = await identifyProfile(profiles, scripted({ 'input:0:2': f32(231), 'input:2:2': 'silent', 'input:2:4': 'silent', 'input:70:2': f32(50) }).read);
  t.is(silent.profile, null, 'a silent read is not taken as a refusal');
  t.deepEqual(silent.candidates, ['sdm120', 'sdm630']);
  t.regex(silent.problem ?? '', /no clean answer/);
});

test('mixed baud rates and parities: every meter found once with its profile, no phantom', async (t) => {
  const sim = mixedSim();
  const opened: LineSettings[] = [];
  const events = await collect(
    scan({ path: '/dev/sim', bauds: [2400, 9600, 19200], parities: ['even', 'none', 'odd'], units: Array.from({ length: 20 }, (_, i) => i + 1) }, { openLine: simLineOpener(sim.bus, opened) }),
  );
  const found = events.filter((e) => e.type === 'found').map((e) => (e as { meter: FoundMeter }).meter);
  t.deepEqual(
    found.map((m) => `${m.protocol} ${m.unit ?? m.address} ${m.baudRate} ${m.parity} ${m.profile}`),
    ['dlt645 000000000005 2400 even dlt645', 'modbus 3 9600 even sdm630', 'modbus 7 9600 none sdm120', 'modbus 12 19200 even prepaid'],
  );
  t.is(opened.length, 9, 'the port is opened once per line setting');
  const last = events.filter((e) => e.type === 'progress').at(-1) as { done: number; total: number; etaMs: number };
  t.is(last.done, last.total);
  t.is(last.etaMs, 0);
});

test('a unit found at one parity is not probed at the other parities of that baud rate', async (t) => {
  const sim = new Simulator({ profile: 'sdm120', meters: 2, clock: new ManualClock({ now: 0 }) }); // no line settings: answers at any
  const events = await collect(scan({ path: 'x', bauds: [9600], parities: ['even', 'none'], units: [1, 2, 3], protocol: 'modbus' }, { openLine: simLineOpener(sim.bus) }));
  const found = events.filter((e) => e.type === 'found').map((e) => (e as { meter: FoundMeter }).meter);
  t.deepEqual(found.map((m) => [m.unit, m.parity, m.profile]), [
    [1, 'even', 'sdm120'],
    [2, 'even', 'sdm120'],
  ]);
  t.is(sim.bus.stats.requests - sim.bus.stats.replies, 2, 'only unit 3 was asked twice (once per parity), silently');
});

test('a meter whose replies fit no signature is found with profile null', async (t) => {
  const sim = new Simulator({ profile: 'sdm120', meters: 1, clock: new ManualClock({ now: 0 }) });
  const events = await collect(scan({ path: 'x', bauds: [9600], parities: ['none'], units: [1], protocol: 'modbus', profiles: ['prepaid'] }, { openLine: simLineOpener(sim.bus) }));
  const found = events.filter((e) => e.type === 'found').map((e) => (e as { meter: FoundMeter }).meter);
  t.deepEqual(found, [{ protocol: 'modbus', unit: 1, baudRate: 9600, parity: 'none', stopBits: 2, profile: null, candidates: [], problem: 'no profile signature holds' }]);
});

test('a garbled reply is retried once; silence is not', async (t) => {
  const sim = new Simulator({ profile: 'sdm120', meters: 1, clock: new ManualClock({ now: 0 }) });
  let calls = 0;
  const base = simLineOpener(sim.bus);
  const events = await collect(
    scan({ path: 'x', bauds: [9600], parities: ['none'], units: [1, 2], protocol: 'modbus' }, {
      openLine: async (p, l) => {
        const line = await base(p, l);
        return {
          ...line,
          exchange: async (req, ms, complete) => {
            calls++;
            if (calls === 1) return { kind: 'garbled', bytes: Buffer.from([1, 4, 0xff]) };
            return line.exchange(req, ms, complete);
          },
        };
      },
    }),
  );
  t.is(events.filter((e) => e.type === 'found').length, 1);
  t.is(sim.bus.stats.unknownUnit, 1, 'unit 2 asked once');
});

test('abort stops between probes and closes the port', async (t) => {
  const sim = new Simulator({ profile: 'sdm120', meters: 1, clock: new ManualClock({ now: 0 }) });
  const ac = new AbortController();
  let closed = 0;
  const base = simLineOpener(sim.bus);
  const events: ScanEvent[] = [];
  for await (const ev of scan({ path: 'x', bauds: [9600], parities: ['none'], units: [1, 2, 3, 4], protocol: 'modbus', signal: ac.signal }, {
    openLine: async (p, l) => ({ ...(await base(p, l)), close: async () => void closed++ }),
  })) {
    events.push(ev);
    if (ev.type === 'progress' && ev.done === 2) ac.abort();
  }
  t.is(events.filter((e) => e.type === 'progress').length, 2);
  t.is(closed, 1);
});

test('a missing port rejects with E_BUS_UNAVAILABLE', async (t) => {
  await t.throwsAsync(collect(scan({ path: '/dev/does-not-exist-scan', bauds: [9600], parities: ['none'], units: [1] })), { code: 'E_BUS_UNAVAILABLE' } as never);
});

test('DL/T 645: several meters on one line found by address search, colliding replies narrowed by address byte; three-phase told from single-phase by profile signature', async (t) => {
  const sim = new Simulator({ meters: 0, clock: new ManualClock({ now: 0 }), scenario: { meters: [{ units: [5, 105], profile: 'dlt645' }, { units: [17], profile: 'dlt645-3p' }] } });
  const events = await collect(scan({ path: 'x', bauds: [9600], parities: ['even'], protocol: 'dlt645' }, { openLine: simLineOpener(sim.bus) }));
  const found = events.filter((e) => e.type === 'found').map((e) => (e as { meter: FoundMeter }).meter);
  t.deepEqual(
    found.map((m) => `${m.address} ${m.profile}`),
    ['000000000005 dlt645', '000000000105 dlt645', '000000000017 dlt645-3p'],
  );
  const last = events.filter((e) => e.type === 'progress').at(-1) as { done: number; total: number };
  // 1 wildcard (collision) + 100 low-byte masks (05 collides) + 100 masks of the second byte under 05.
  t.is(last.done, 201);
  t.is(last.total, 201);
});

test('a reply that comes after its timeout makes the scan ask that unit again, more patiently', async (t) => {
  const sim = new Simulator({ meters: 0, clock: new ManualClock({ now: 0 }), scenario: { meters: [{ units: [7], profile: 'sdm630' }] } });
  const base = simLineOpener(sim.bus);
  const timeouts: Array<[number, number]> = [];
  let held: Buffer | undefined;
  let first = true;
  const events = await collect(
    scan({ path: 'x', bauds: [9600], parities: ['even'], units: [6, 7, 8, 9], protocol: 'modbus', timeoutMs: 40 }, {
      openLine: async (p, l) => {
        const line = await base(p, l);
        return {
          ...line,
          exchange: async (req, ms, complete) => {
            timeouts.push([req[0]!, ms]);
            const x = await line.exchange(req, ms, complete);
            if (req[0] === 7 && first && x.kind === 'reply') {
              first = false;
              held = x.bytes; // the meter's reply arrives only once the scanner has moved on
              return { kind: 'silence' };
            }
            if (held) {
              const late = [held];
              held = undefined;
              return { ...x, late };
            }
            return x;
          },
        };
      },
    }),
  );
  const found = events.filter((e) => e.type === 'found').map((e) => (e as { meter: FoundMeter }).meter);
  t.deepEqual(found.map((m) => [m.unit, m.profile]), [[7, 'sdm630']]);
  t.deepEqual(timeouts.slice(0, 3), [[6, 40], [7, 40], [8, 40]]);
  t.deepEqual(timeouts[3], [7, 120], 'unit 7 asked again right after the probe that saw its late reply, with 3x the timeout');
});

test('a meter that goes quiet on an identification read is asked again after a drain; if it stays quiet the profile is not guessed', async (t) => {
  const sim = new Simulator({ meters: 0, clock: new ManualClock({ now: 0 }), scenario: { meters: [{ units: [3], profile: 'sdm630' }] } });
  const base = simLineOpener(sim.bus);
  const run = async (quietTimes: number) => {
    let quiet = quietTimes;
    const timeouts: number[] = [];
    const events = await collect(
      scan({ path: 'x', bauds: [9600], parities: ['even'], units: [3], protocol: 'modbus', timeoutMs: 30 }, {
        openLine: async (p, l) => {
          const line = await base(p, l);
          return {
            ...line,
            exchange: async (req, ms, complete) => {
              // input 2, count 4: the read that tells an SDM630 from an SDM120
              if (req[1] === 0x04 && req.readUInt16BE(2) === 2 && req.readUInt16BE(4) === 4 && quiet > 0) {
                quiet--;
                timeouts.push(ms);
                return { kind: 'silence' };
              }
              return line.exchange(req, ms, complete);
            },
          };
        },
      }),
    );
    return { meter: (events.find((e) => e.type === 'found') as { meter: FoundMeter }).meter, timeouts };
  };
  const once = await run(1);
  t.like(once.meter, { unit: 3, profile: 'sdm630' });
  t.deepEqual(once.timeouts, [30]);
  const always = await run(9);
  t.like(always.meter, { unit: 3, profile: null, candidates: ['sdm630'] });
  t.regex(always.meter.problem ?? '', /no clean answer to an identification read of sdm630/);
  t.deepEqual(always.timeouts, [30, 90], 'asked twice, the second time with 3x the timeout');
});

test('DL/T 645: a reply that comes after its timeout is not taken for a collision, and its mask is asked again', async (t) => {
  const sim = new Simulator({ meters: 0, clock: new ManualClock({ now: 0 }), scenario: { meters: [{ units: [5, 17, 105], profile: 'dlt645' }] } });
  const base = simLineOpener(sim.bus);
  let held: Buffer | undefined;
  let late = true;
  const asked: string[] = [];
  const events = await collect(
    scan({ path: 'x', bauds: [9600], parities: ['even'], protocol: 'dlt645', timeoutMs: 20 }, {
      openLine: async (p, l) => {
        const line = await base(p, l);
        return {
          ...line,
          exchange: async (req, ms, complete) => {
            const mask = findFrame(req).frame!.address;
            asked.push(mask);
            const x = await line.exchange(req, ms, complete);
            if (mask === 'AAAAAAAAAA17' && late && x.kind === 'reply') {
              late = false;
              held = x.bytes;
              return { kind: 'silence' };
            }
            if (held) {
              // As the serial line does: the stray whole frame is skipped (not this request's reply) and handed over as late.
              const stray = held;
              held = undefined;
              t.deepEqual(complete(stray), { skip: stray.length }, 'a reply from a meter the mask does not cover is skipped');
              return { ...x, late: [stray] };
            }
            return x;
          },
        };
      },
    }),
  );
  const found = events.filter((e) => e.type === 'found').map((e) => (e as { meter: FoundMeter }).meter);
  t.deepEqual(found.map((m) => `${m.address} ${m.profile}`).sort(), ['000000000005 dlt645', '000000000017 dlt645', '000000000105 dlt645']);
  t.is(asked.filter((m) => m === 'AAAAAAAAAA17').length, 2, 'the mask whose reply came late is asked again');
  t.false(asked.some((m) => m.endsWith('0018')), 'no narrowing under the mask that saw the stray reply');
});

/**
 * A simulated line whose first reply to a request `isLate` picks comes after its timeout: the
 * exchange sees silence, and the reply turns up at the next drain (as a late frame does on a wire).
 */
function lineWithOneLateReply(sim: Simulator, isLate: (req: Buffer) => boolean) {
  const base = simLineOpener(sim.bus);
  let held: Buffer | undefined;
  let first = true;
  const drains: number[] = [];
  const openLine: NonNullable<NonNullable<Parameters<typeof scan>[1]>['openLine']> = async (p, l) => {
    const line = await base(p, l);
    return {
      ...line,
      exchange: async (req, ms, complete) => {
        const x = await line.exchange(req, ms, complete);
        if (first && isLate(req) && x.kind === 'reply') {
          first = false;
          held = x.bytes;
          return { kind: 'silence' };
        }
        return x;
      },
      drain: async (ms) => {
        drains.push(ms);
        const late = held ? [held] : [];
        held = undefined;
        return late;
      },
    };
  };
  return { openLine, drains };
}

test('a late reply from the last unit of a line setting is waited for once, and that unit asked again', async (t) => {
  const sim = new Simulator({ meters: 0, clock: new ManualClock({ now: 0 }), scenario: { meters: [{ units: [9], profile: 'sdm120' }] } });
  const { openLine, drains } = lineWithOneLateReply(sim, (req) => req[0] === 9);
  const events = await collect(scan({ path: 'x', bauds: [9600], parities: ['even'], units: [8, 9], protocol: 'modbus', timeoutMs: 25 }, { openLine }));
  const found = events.filter((e) => e.type === 'found').map((e) => (e as { meter: FoundMeter }).meter);
  t.deepEqual(found.map((m) => [m.unit, m.profile]), [[9, 'sdm120']]);
  t.deepEqual(drains, [25]);
});

test('DL/T 645: a late reply to the only probe of the search is waited for once, and the wildcard asked again', async (t) => {
  const sim = new Simulator({ meters: 0, clock: new ManualClock({ now: 0 }), scenario: { meters: [{ units: [42], profile: 'dlt645' }] } });
  const { openLine } = lineWithOneLateReply(sim, () => true);
  const events = await collect(scan({ path: 'x', bauds: [2400], parities: ['even'], protocol: 'dlt645', timeoutMs: 30 }, { openLine }));
  const found = events.filter((e) => e.type === 'found').map((e) => (e as { meter: FoundMeter }).meter);
  t.deepEqual(found.map((m) => `${m.address} ${m.profile}`), ['000000000042 dlt645']);
});
