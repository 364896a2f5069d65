/**
 * What the suite does to the meter besides talking Modbus: S0 pulses, supply cuts, the customer
 * button, and sensing the relay contact. On the simulator this is the virtual board and the
 * physics; on hardware a johnny-five test jig wired to the meter (see README.md).
 */
import five, { type Board, type Pin } from 'johnny-five';
import { openFirmata } from '@prepaid-edge/firmware';

export interface Stimulus {
  readonly label: string;
  /** Make the meter see exactly `n` S0 pulses (the meter must be powered and its relay closed). */
  pulses(n: number): Promise<void>;
  /** Cut the meter's supply for `offMs`, restore it, and wait until the meter answers again. */
  powerCycle(offMs: number): Promise<void>;
  pressButton(): Promise<void>;
  /** The relay contact as sensed outside the meter's own readback. */
  relayClosed(): Promise<boolean>;
  close(): Promise<void>;
}

export interface JigPins {
  /** Output driving the meter's S0 input (through an optocoupler). */
  s0: number | string;
  /** Output energising a relay that cuts the meter's supply. */
  power: number | string;
  /** Output closing the meter's reconnect button (through an optocoupler). */
  button: number | string;
  /** Input reading the meter's relay contact (through an optocoupler: high = closed). */
  relaySense: number | string;
  pulseMs: number;
  gapMs: number;
}

export const DEFAULT_JIG: JigPins = { s0: 2, power: 3, button: 4, relaySense: 5, pulseMs: 30, gapMs: 70 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A johnny-five board (HW_BOARD, Firmata) wired to the meter under test. */
export class JigStimulus implements Stimulus {
  readonly label: string;
  private sensed = false;
  private constructor(
    board: Board,
    private readonly pins: JigPins,
    private readonly out: { s0: Pin; power: Pin; button: Pin },
    private readonly meterAnswers: () => Promise<boolean>,
  ) {
    this.label = `test jig on ${pins.s0}/${pins.power}/${pins.button}/${pins.relaySense}`;
    board.io.digitalRead(pins.relaySense, (v) => (this.sensed = v !== 0));
  }

  static async open(port: string, pins: JigPins, meterAnswers: () => Promise<boolean>): Promise<JigStimulus> {
    const board = new five.Board({ io: await openFirmata(port), repl: false, debug: false, sigint: false });
    if (!board.isReady) await new Promise((r) => board.once('ready', r));
    const pin = (p: number | string) => new five.Pin({ board, pin: p, mode: board.io.MODES.OUTPUT }).low();
    return new JigStimulus(board, pins, { s0: pin(pins.s0), power: pin(pins.power), button: pin(pins.button) }, meterAnswers);
  }

  async pulses(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      this.out.s0.high();
      await sleep(this.pins.pulseMs);
      this.out.s0.low();
      await sleep(this.pins.gapMs);
    }
  }

  async powerCycle(offMs: number): Promise<void> {
    this.out.power.high();
    await sleep(offMs);
    this.out.power.low();
    const deadline = Date.now() + 60_000;
    while (!(await this.meterAnswers())) {
      if (Date.now() > deadline) throw new Error('the meter did not answer within 60 s of power-up');
      await sleep(500);
    }
  }

  async pressButton(): Promise<void> {
    this.out.button.high();
    await sleep(300);
    this.out.button.low();
    await sleep(300);
  }

  async relayClosed(): Promise<boolean> {
    await sleep(100); // contact settling
    return this.sensed;
  }

  async close(): Promise<void> {
    this.out.power.low();
    this.out.s0.low();
  }
}
