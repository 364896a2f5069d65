/// <reference types="@prepaid-edge/firmware/johnny-five" />
/**
 * The meter under test, chosen by the environment:
 *
 *   HW_SERIAL=/dev/ttyUSB0     a meter on an RS-485 adapter (HW_UNIT, HW_BAUD, HW_PARITY);
 *     + HW_BOARD=/dev/ttyACM0  a johnny-five test jig wired to it (pins: HW_JIG, a JSON file);
 *     + HW_CONSOLE=/dev/ttyUSB1 its maintenance console (HW_CONSOLE_PIN) for token entry,
 *       with HW_STS_KEY (its decoder key) and HW_STS_BASE (TID base date, default 2014);
 *   HW_BOARD alone              the firmware runs in this process on that board
 *                               (HW_PINS pin map, HW_CONFIG config, HW_STATE_DIR, HW_PULSE_PIN: an
 *                               output wired back to the board's own S0 input);
 *   nothing                     the simulator: a prepaid firmware meter on a virtual board.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { SerialPort } from 'serialport';
import { DelimiterParser } from '@serialport/parser-delimiter';
import five from 'johnny-five';
import { decodeRtu, encodeRtu, encodeToken, type StsBaseDate } from '@prepaid-edge/protocols';
import { FileSlots, Firmware, loadFirmwareConfig, loadPinMap, openFirmata, type VirtualBoard } from '@prepaid-edge/firmware';
import { ManualClock } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { FrameMaster, SerialMaster, type ModbusMaster } from './master.js';
import { DEFAULT_JIG, JigStimulus, type JigPins, type Stimulus } from './stimulus.js';
import { readFileSync } from 'node:fs';

export interface Target {
  kind: 'simulator' | 'rs485' | 'board';
  label: string;
  unit: number;
  master: ModbusMaster;
  /** Pulses, power cuts, button, relay sensing; undefined when nothing is wired for it. */
  stimulus: Stimulus | undefined;
  /** Enter a token the way a customer (keypad) or technician (console) would; true = accepted. */
  enterToken: ((digits: string) => Promise<boolean>) | undefined;
  /** A token this meter has never seen (TID = now), worth 0.1 kWh; undefined without a key. */
  freshToken: (() => string) | undefined;
  /** The line, for bus timing expectations. */
  line: { baudRate: number; parity: 'none' | 'even' | 'odd'; turnaroundMs: number };
  close(): Promise<void>;
}

const env = process.env;
const parity = (p: string | undefined): 'none' | 'even' | 'odd' => (p === 'even' || p === 'odd' ? p : 'none');

export async function openTarget(): Promise<Target> {
  if (env.HW_SERIAL) return rs485Target(env.HW_SERIAL);
  if (env.HW_BOARD) return boardTarget(env.HW_BOARD);
  return simulatorTarget();
}

/** The firmware meter's world as the simulator exposes it (FirmwareSimMeter, structurally). */
interface SimFirmwareMeter {
  board: VirtualBoard;
  firmware: Firmware | undefined;
}

/** Public STS test vectors: the simulated meters hold this meter's decoder key (shared/vectors/sts). */
export const VECTOR_TOKENS = { first: '23716100501183194197', second: '66475648316756821785' } as const;

function simulatorTarget(): Target {
  const clock = new ManualClock({ now: Date.UTC(2026, 2, 1, 8) });
  const line = { baudRate: 9600, parity: 'none' as const, turnaroundMs: 2 };
  const sim = new Simulator({
    profile: 'prepaid',
    meters: 2,
    clock,
    seed: 3,
    timing: 'wire',
    ...line,
    scenario: { meters: [{ units: 'all', load: { type: 'constant', watts: 3600 } }] },
  });
  const unit = 1;
  const meter = () => sim.meter(unit) as unknown as SimFirmwareMeter;
  const fw = () => {
    sim.trueState(unit); // bring the meter up to the simulated now
    const f = meter().firmware;
    if (!f) throw new Error('the simulated meter is not powered');
    return f;
  };
  const stimulus: Stimulus = {
    label: 'simulator physics and virtual board',
    async pulses(n) {
      clock.advance(n * 1000); // 3600 W on 1000 imp/kWh: one pulse a second
      sim.trueState(unit);
    },
    async powerCycle(offMs) {
      const since = clock.now() - sim.startMs;
      sim.addFault(unit, { type: 'powerLoss', from: since, until: since + offMs });
      clock.advance(offMs);
      sim.trueState(unit);
    },
    async pressButton() {
      const f = fw();
      const seen = once(f, 'button');
      meter().board.setButton(true);
      await seen;
      meter().board.setButton(false);
    },
    async relayClosed() {
      sim.trueState(unit);
      return meter().board.relayClosed;
    },
    async close() {},
  };
  return {
    kind: 'simulator',
    label: `simulator, prepaid firmware meter unit ${unit}, wire timing ${line.baudRate} 8N1`,
    unit,
    master: new FrameMaster('simulator bus', (frame) => sim.bus.handleRtu(frame)),
    stimulus,
    enterToken: async (digits) => {
      const f = fw();
      const result = once(f, 'token');
      for (const k of `${digits}#`) {
        const seen = once(f, 'key');
        meter().board.pressKey(k);
        await seen;
        meter().board.releaseKey(k);
      }
      const [out] = (await result) as [{ ok: boolean }];
      return out.ok;
    },
    freshToken: undefined,
    line,
    close: () => sim.close(),
  };
}

async function rs485Target(path: string): Promise<Target> {
  const line = { baudRate: Number(env.HW_BAUD ?? 9600), parity: parity(env.HW_PARITY), turnaroundMs: 0 };
  const unit = Number(env.HW_UNIT ?? 1);
  const master = await SerialMaster.open(path, line.baudRate, line.parity, Number(env.HW_TIMEOUT_MS ?? 1000));
  const answers = async () => (await master.transact(unit, { fc: 0x04, address: 0, count: 1 })).response !== undefined;
  const jig: JigPins = env.HW_JIG ? { ...DEFAULT_JIG, ...(JSON.parse(readFileSync(env.HW_JIG, 'utf8')) as Partial<JigPins>) } : DEFAULT_JIG;
  const stimulus = env.HW_BOARD ? await JigStimulus.open(env.HW_BOARD, jig, answers) : undefined;
  const console = env.HW_CONSOLE ? await ConsoleClient.open(env.HW_CONSOLE, Number(env.HW_CONSOLE_BAUD ?? 115200)) : undefined;
  if (console) await console.ask(`login ${env.HW_CONSOLE_PIN ?? ''}`);
  const key = env.HW_STS_KEY;
  const base = Number(env.HW_STS_BASE ?? 2014) as StsBaseDate;
  return {
    kind: 'rs485',
    label: `meter unit ${unit} on ${master.label}${stimulus ? `, ${stimulus.label}` : ''}${console ? `, console ${env.HW_CONSOLE}` : ''}`,
    unit,
    master,
    stimulus,
    enterToken: console ? async (digits) => (await console.ask(`token ${digits}`)).at(-1) === 'OK' : undefined,
    freshToken: key ? () => encodeToken({ class: 0, subclass: 0, random: Date.now() & 15, issuedAt: new Date(), amountTenths: 1 }, key, { baseDate: base }) : undefined,
    line,
    close: async () => {
      await stimulus?.close();
      await console?.close();
      await master.close();
    },
  };
}

async function boardTarget(port: string): Promise<Target> {
  if (!env.HW_PINS || !env.HW_CONFIG) throw new Error('HW_BOARD without HW_SERIAL runs the firmware here: set HW_PINS (pin map) and HW_CONFIG (firmware config)');
  const pinMap = loadPinMap(env.HW_PINS);
  const config = loadFirmwareConfig(env.HW_CONFIG);
  const storage = new FileSlots(env.HW_STATE_DIR ?? mkdtempSync(join(tmpdir(), 'hw-state-')));
  const board = port === 'raspi' ? undefined : new five.Board({ io: await openFirmata(port), repl: false, debug: false, sigint: false });
  const io = port === 'raspi' ? new ((await import(String('raspi-io'))) as { RaspiIO: new () => unknown }).RaspiIO() : undefined;
  const start = () => Firmware.start({ config, pinMap, board, io, storage });
  let fw = await start();
  const unit = fw.core.state.line.unitId;
  const pulsePin = env.HW_PULSE_PIN;
  const pulser = pulsePin && board ? new five.Pin({ board, pin: /^\d+$/.test(pulsePin) ? Number(pulsePin) : pulsePin, mode: board.io.MODES.OUTPUT }).low() : undefined;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const stimulus: Stimulus | undefined = pulser
    ? {
        label: `pulses looped back from ${pulsePin}; power cycle = firmware restart on the same state`,
        async pulses(n) {
          for (let i = 0; i < n; i++) {
            pulser.high();
            await sleep(30);
            pulser.low();
            await sleep(70);
          }
        },
        async powerCycle(offMs) {
          fw.stop();
          await sleep(offMs);
          fw = await start();
        },
        async pressButton() {
          fw.pressButton();
        },
        async relayClosed() {
          return fw.core.relayReadback;
        },
        async close() {},
      }
    : undefined;
  const key = config.sts.decoderKey ?? undefined;
  return {
    kind: 'board',
    label: `firmware in this process on ${port}`,
    unit,
    master: new FrameMaster('firmware in process', (frame) => {
      const { unit: u, pdu } = decodeRtu(frame);
      if (u !== fw.core.state.line.unitId && u !== 0) return undefined;
      const reply = fw.handleModbusPdu(pdu);
      return u === 0 ? undefined : { bytes: encodeRtu(u, reply), delayMs: 0 };
    }),
    stimulus,
    enterToken: async (digits) => fw.enterToken(digits).ok,
    freshToken: key ? () => encodeToken({ class: 0, subclass: 0, random: Date.now() & 15, issuedAt: new Date(), amountTenths: 1 }, key, { baseDate: config.sts.baseDate }) : undefined,
    line: { baudRate: config.modbus.baudRate, parity: config.modbus.parity, turnaroundMs: 0 },
    close: async () => fw.stop(),
  };
}

/** The maintenance console over a serial line: one command, the reply lines up to OK/ERR. */
class ConsoleClient {
  private lines: string[] = [];
  private wake: (() => void) | undefined;
  private constructor(private readonly port: SerialPort) {
    port.pipe(new DelimiterParser({ delimiter: '\r\n' })).on('data', (b: Buffer) => {
      this.lines.push(b.toString('latin1'));
      this.wake?.();
    });
  }
  static async open(path: string, baudRate: number): Promise<ConsoleClient> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new ConsoleClient(port);
  }
  async ask(cmd: string, timeoutMs = 5000): Promise<string[]> {
    this.lines = [];
    this.port.write(`${cmd}\r\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.lines.findIndex((l) => /^(OK|ERR)/.test(l));
      if (end >= 0) return this.lines.slice(0, end + 1);
      if (Date.now() > deadline) throw new Error(`console: no answer to "${cmd}"`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 100);
      });
    }
  }
  close(): Promise<void> {
    return new Promise((r) => this.port.close(() => r()));
  }
}
