/**
 * 500 firmware instances on virtual boards in one simulator process: each meter draws 72 kW on a
 * 1000 imp/kWh S0 output (20 pulses/s) and is polled once a second (FC 04, the whole input block).
 * Targets (issue #3): under 400 MB RSS, under 50% of one core, no missed pulse.
 *
 * It lives in the simulator package because it runs the firmware inside simulated meters (the
 * simulator depends on the firmware, not the other way round). Modbus unit ids stop at 247, so the 500 meters are three
 * buses (Simulator instances) in this one process. Polls go through each bus's RTU frame handler
 * in-process (encode, CRC, dispatch, reply), so the numbers are the meters' cost, not a socket's.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { decodeRtu, encodeRequest, encodeRtu } from '@prepaid-edge/protocols';
import { Simulator as RealSimulator } from '../src/index.js';

const ID = 'instances';
const TITLE = 'Firmware: 500 instances on virtual boards, 20 pulses/s each, polled once a second';
const METERS = 500;
const BUSES = 3;
const WATTS = 72_000;
const IMPULSES_PER_KWH = 1000;
const WARMUP_S = 10;
const MEASURE_S = 60;
const TARGET_CPU_PCT = 50;
const TARGET_RSS_MB = 400;

/** The part of @prepaid-edge/simulator this bench uses. */
interface SimModule {
  Simulator: new (opts: unknown) => Sim;
}
interface Sim {
  bus: { handleRtu(frame: Buffer): { bytes: Buffer } | undefined };
  meters: readonly SimMeterLike[];
  clock: { now(): number };
  close(): Promise<void>;
}
interface SimMeterLike {
  unit: number;
  pulsesFed: number;
  firmware?: { core: { state: { energy: { importWh: number } } }; hardware: { s0: { debouncer: { bounces: number } } } };
  trueState(now?: number): { snapshot: { energyImportWh: number } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (x: number, d = 1) => x.toFixed(d);

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string; skipped?: string }> {
  const Simulator = RealSimulator as unknown as SimModule['Simulator'];
  const rss0 = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const perBus = Array.from({ length: BUSES }, (_, i) => Math.floor(METERS / BUSES) + (i < METERS % BUSES ? 1 : 0));
  const sims = perBus.map(
    (n, b) =>
      new Simulator({
        profile: 'prepaid',
        meters: n,
        seed: 100 + b,
        speed: 1,
        scenario: { meters: [{ units: 'all', load: { type: 'constant', watts: WATTS } }] },
      }),
  );
  const startupS = (performance.now() - t0) / 1000;
  const startupRssMb = process.memoryUsage().rss / 2 ** 20;
  const meters = sims.flatMap((sim) => sim.meters.map((m) => ({ sim, m, frame: encodeRtu(m.unit, encodeRequest({ fc: 0x04, address: 0, count: 32 })) })));

  // one poll per meter per second, spread evenly: every 10 ms the polls that are due by now
  // (counted from the start, so a late timer catches up instead of polling less)
  let sent = 0;
  let ok = 0;
  let bad = 0;
  const pollStart = performance.now();
  const poll = setInterval(() => {
    const due = Math.floor(((performance.now() - pollStart) * METERS) / 1000);
    for (; sent < due; sent++) {
      const { sim, frame } = meters[sent % meters.length]!;
      const reply = sim.bus.handleRtu(frame);
      try {
        if (reply && decodeRtu(reply.bytes).pdu[0] === 0x04) ok++;
        else bad++;
      } catch {
        bad++;
      }
    }
  }, 10);

  try {
    await sleep(WARMUP_S * 1000);
    const e0 = meters.map(({ m }) => m.trueState().snapshot.energyImportWh);
    const fed0 = meters.map(({ m }) => m.pulsesFed);
    ok = 0;
    bad = 0;
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    const rss: number[] = [];
    while (performance.now() - w0 < MEASURE_S * 1000) {
      await sleep(1000);
      rss.push(process.memoryUsage().rss / 2 ** 20);
    }
    const cpu = process.cpuUsage(cpu0);
    const wallS = (performance.now() - w0) / 1000;
    lag.disable();
    clearInterval(poll);
    const polls = { ok, bad };

    // every pulse the physics produced must be in the firmware's register, none dropped as bounce
    let missed = 0;
    let bounces = 0;
    let pulses = 0;
    meters.forEach(({ m }, i) => {
      const truth = m.trueState().snapshot.energyImportWh; // syncs the meter to now
      const fw = m.firmware!;
      missed += Math.abs(truth - fw.core.state.energy.importWh);
      bounces += fw.hardware.s0.debouncer.bounces;
      pulses += m.pulsesFed - fed0[i]!;
      if (m.pulsesFed - fed0[i]! !== truth - e0[i]!) missed++;
    });
    const cpuPct = ((cpu.user + cpu.system) / 1e6 / wallS) * 100;
    const m = {
      cpuPct,
      rssPeak: Math.max(...rss),
      rssMean: rss.reduce((a, b) => a + b, 0) / rss.length,
      rss0,
      startupRssMb,
      startupS,
      pollsPerS: polls.ok / wallS,
      badPolls: polls.bad,
      pulsesPerMeterPerS: pulses / METERS / wallS,
      pulses,
      missed,
      bounces,
      lagP99: lag.percentile(99) / 1e6,
      lagMax: lag.max / 1e6,
      wallS,
    };
    process.stderr.write(`[${ID}] cpu ${fmt(cpuPct)}% rss peak ${fmt(m.rssPeak)} MB, ${fmt(m.pulsesPerMeterPerS, 2)} pulses/s/meter, missed ${missed}\n`);
    return {
      id: ID,
      title: TITLE,
      command: `${METERS} prepaid meters (firmware-ts) on ${BUSES} simulator buses in one process, constant ${WATTS / 1000} kW at ${IMPULSES_PER_KWH} imp/kWh, FC 04 0..31 per meter per second, ${WARMUP_S} s warm-up + ${MEASURE_S} s measured`,
      markdown: report(m),
    };
  } finally {
    clearInterval(poll);
    await Promise.all(sims.map((s) => s.close()));
  }
}

function report(m: {
  cpuPct: number;
  rssPeak: number;
  rssMean: number;
  rss0: number;
  startupRssMb: number;
  startupS: number;
  pollsPerS: number;
  badPolls: number;
  pulsesPerMeterPerS: number;
  pulses: number;
  missed: number;
  bounces: number;
  lagP99: number;
  lagMax: number;
  wallS: number;
}): string {
  const verdict = (yes: boolean) => (yes ? 'met' : '**missed**');
  const rows: string[][] = [
    ['CPU, % of one core', fmt(m.cpuPct), `< ${TARGET_CPU_PCT}`, verdict(m.cpuPct < TARGET_CPU_PCT)],
    ['RSS peak, MB', fmt(m.rssPeak), `< ${TARGET_RSS_MB}`, verdict(m.rssPeak < TARGET_RSS_MB)],
    ['RSS mean, MB', fmt(m.rssMean), '', ''],
    ['S0 pulses per meter per s', fmt(m.pulsesPerMeterPerS, 2), '20', verdict(m.pulsesPerMeterPerS >= 19.9)],
    ['pulses missed (register vs physics, debounced away)', `${m.missed} (of ${m.pulses}), ${m.bounces} debounced`, '0', verdict(m.missed === 0 && m.bounces === 0)],
    ['polls answered per s', fmt(m.pollsPerS), String(METERS), verdict(m.pollsPerS >= METERS * 0.99 && m.badPolls === 0)],
    ['event loop delay p99 / max, ms', `${fmt(m.lagP99)} / ${fmt(m.lagMax)}`, '', ''],
  ];
  return [
    `${METERS} \`prepaid\` meters, each the firmware (meter core, state saved after every pulse to its two-slot`,
    `simulated FRAM with CRC-32, Modbus map, johnny-five components: LCD on I2C, keypad, relay, buzzer, LEDs,`,
    `PZEM-004T metering module polled each second over the board's serial port) on its own virtual board. The`,
    `simulator's physics feed every S0 pulse at its exact simulated instant (a 100 ms pump in real time); each`,
    `meter is read once a second (input registers 0..31, polls spread evenly over the second). ${WARMUP_S} s warm-up,`,
    `then ${MEASURE_S} s measured: CPU from process.cpuUsage (the whole process: meters, physics and poller), RSS each`,
    `second. At the end every meter's energy register is compared with the physics' true energy.`,
    '',
    '| measure | result | target | verdict |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `Start-up of the ${METERS} instances: ${fmt(m.startupS)} s (johnny-five's LCD driver busy-waits ~10 ms per`,
    `display while initialising it), RSS ${fmt(m.rss0)} MB before and ${fmt(m.startupRssMb)} MB after. Measured window: ${fmt(m.wallS)} s.`,
  ].join('\n');
}
