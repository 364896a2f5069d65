/**
 * The bus scan: every line setting x every address, short requests only, never a write.
 * Modbus: the smallest signature read to each unit, then the signature reads that tell its profile
 * (modbus-probe.ts). A reply that comes after its timeout shows up during a later probe: that unit
 * is asked again at once, with longer timeouts. DL/T 645: an address search from the wildcard
 * address (dlt645-search.ts). A unit that answered at one parity is not probed at the other
 * parities of that baud rate (it would answer again, or garble). A garbled reply is retried once;
 * silence from an absent address is not.
 */
import { bitsPerChar, interFrameMs, isPrepaidError, listProfiles, loadProfile, systemClock, type MeterProfile } from '@prepaid-edge/protocols';
import { listDlt645Profiles, loadDlt645Profile } from '../acquisition/dlt645-profile.js';
import { searchDlt645 } from './dlt645-search.js';
import { presenceRead, replyBytes } from './identify.js';
import { probeModbus, unitsIn, type LineContext } from './modbus-probe.js';
import { etaMs, lineStopBits, planScan, probeTimeoutMs } from './plan.js';
import { openSerialLine } from './serial-line.js';
import { openTcpLine, parseTcpPath } from './tcp-line.js';
import type { LineSettings, ScanDeps, ScanEvent, ScanLine, ScanOptions } from './types.js';

/** How much longer a unit whose reply came late is waited for when asked again. */
const LATE_PATIENCE = 3;

export async function* scan(given: ScanOptions, deps: ScanDeps = {}): AsyncGenerator<ScanEvent, void, undefined> {
  // tcp://host:port: an RS-485 converter, whose serial side has one fixed setting (the first given).
  const tcp = parseTcpPath(given.path) !== undefined;
  const opts: ScanOptions = tcp ? { ...given, bauds: [given.bauds?.[0] ?? 9600], parities: [given.parities?.[0] ?? 'none'] } : given;
  const plan = planScan(opts);
  const profiles: MeterProfile[] = (opts.profiles ?? listProfiles()).map((id) => loadProfile(id));
  const dltProfiles = plan.dlt645 ? listDlt645Profiles().map((id) => loadDlt645Profile(id)) : [];
  const presence = presenceRead(profiles);
  const clock = deps.clock ?? systemClock;
  const openLine = deps.openLine ?? ((path, line) => (tcp ? openTcpLine(path, clock) : openSerialLine(path, line, clock)));
  const monotonic = () => clock.monotonic();
  const started = monotonic();
  let done = 0;
  let total = plan.total;
  let found = 0;
  const firstLine = plan.lines[0];
  const firstGuess = firstLine ? probeTimeoutMs({ ...opts, stopBits: lineStopBits(opts, firstLine) }, firstLine, 8, replyBytes(presence)) : 0;
  const progress = (line: LineSettings): ScanEvent => {
    const elapsedMs = monotonic() - started;
    return { type: 'progress', done, total, etaMs: etaMs(done, total, elapsedMs, firstGuess), elapsedMs, line, found };
  };
  /** Addresses found per baud rate (skip them at that baud's other parities). */
  const seen = new Map<number, Set<string>>();

  for (const line of plan.lines) {
    if (opts.signal?.aborted) return;
    const seenHere = seen.get(line.baudRate) ?? new Set<string>();
    seen.set(line.baudRate, seenHere);
    const stopBits = lineStopBits(opts, line);
    let port: ScanLine;
    try {
      port = await openLine(opts.path, { ...line, stopBits });
    } catch (e) {
      done += plan.probesPerLine;
      yield { type: 'line-error', line, code: isPrepaidError(e) ? e.code : 'E_BUS_UNAVAILABLE', message: (e as Error).message };
      // The port itself is missing or held by another process: no line setting will do better.
      if (!isPrepaidError(e) || /no such file|cannot lock|resource temporarily unavailable|busy/i.test(e.message)) throw e;
      yield progress(line);
      continue;
    }
    const ctx: LineContext = { port, line, stopBits, opts, gapMs: interFrameMs(line.baudRate, bitsPerChar(line.parity, stopBits)), clock };
    try {
      if (plan.modbus) {
        const silent = new Set<number>();
        const again: number[] = [];
        const onLate = (units: number[]) => {
          for (const u of units) if (silent.has(u) && !again.includes(u)) again.push(u);
        };
        for (const unit of plan.units) {
          if (opts.signal?.aborted) return;
          const queue = [{ unit, patience: 1 }];
          while (queue.length) {
            const next = queue.shift()!;
            if (seenHere.has(`u${next.unit}`)) continue;
            const meter = await probeModbus(ctx, next.unit, profiles, presence, onLate, next.patience);
            if (meter) {
              seenHere.add(`u${next.unit}`);
              silent.delete(next.unit);
              found++;
              yield { type: 'found', meter };
            } else silent.add(next.unit);
            while (again.length) {
              const u = again.shift()!;
              silent.delete(u);
              queue.push({ unit: u, patience: LATE_PATIENCE });
            }
          }
          done++;
          yield progress(line);
          // After the last unit nothing follows to catch its late reply in: wait one timeout for it.
          if (unit === plan.units.at(-1) && silent.has(unit) && port.drain) {
            const late = unitsIn(await port.drain(probeTimeoutMs({ ...opts, stopBits }, line, 8, replyBytes(presence)))).filter((u) => silent.has(u) && !seenHere.has(`u${u}`));
            for (const u of new Set(late)) {
              const meter = await probeModbus(ctx, u, profiles, presence, () => undefined, LATE_PATIENCE);
              if (meter) {
                seenHere.add(`u${u}`);
                found++;
                yield { type: 'found', meter };
              }
            }
          }
        }
      }
      if (plan.dlt645 && !opts.signal?.aborted) {
        if (!seenHere.has('dlt645')) {
          for await (const ev of searchDlt645(ctx, dltProfiles, opts.signal)) {
            if (ev.type === 'widen') total += ev.by;
            else if (ev.type === 'probe') {
              done++;
              yield progress(line);
            } else {
              seenHere.add('dlt645');
              found++;
              yield ev;
            }
          }
        } else {
          done++;
          yield progress(line);
        }
      }
    } finally {
      await port.close();
    }
  }
}
