/**
 * The bus on a serial device (e.g. one end of a socat pseudo-terminal pair or a USB-RS485
 * adapter): all meters answer on this one line by unit id, as on RS-485.
 */
import { SerialPort } from 'serialport';
import { bitsPerChar, interFrameMs, RtuSplitter } from '@prepaid-edge/protocols';
import type { SimBus } from '../bus.js';
import type { LineSettings } from '../meters/sim-meter.js';
import type { Logger } from '../log.js';
import { LineSensor } from './line-sense.js';

export interface SerialBusOptions extends LineSettings {
  path: string;
  /**
   * The master's end of a pseudo-terminal pair. A pty has no physical line, so to let meters with
   * line settings of their own ignore a master at another baud rate or parity, the bus holds the
   * master's end open too (never reading from it, which also keeps the pair up while the master
   * reopens it) and reads the settings the master set there (line-sense.ts) for every frame to
   * such a meter.
   */
  peerPath?: string;
  /** Silence that ends a frame, ms; default the 3.5-character time at the baud rate. */
  silenceMs?: number;
}

export class SerialBusTransport {
  private port: SerialPort | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly bus: SimBus,
    private readonly log?: Logger,
  ) {}

  async open(opts: SerialBusOptions): Promise<void> {
    const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate, parity: opts.parity, dataBits: 8, stopBits: 1, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.port = port;
    const line: LineSettings = { baudRate: opts.baudRate, parity: opts.parity };
    const splitter = new RtuSplitter({ direction: 'request', silenceMs: opts.silenceMs ?? interFrameMs(opts.baudRate, bitsPerChar(opts.parity)) });
    // Frames the Modbus rules reject (noise, or DL/T 645 on the same line) go to the bus as they are.
    splitter.on('frameError', (e: { code: string }, bytes: Buffer) => {
      this.log?.debug({ bus: this.bus.id, code: e.code }, 'non-Modbus frame at silence');
      if (bytes) this.onFrame(bytes, line);
    });
    port.pipe(splitter);
    splitter.on('data', (frame: Buffer) => this.onFrame(frame, line));
    if (opts.peerPath) {
      const peer = new SerialPort({ path: opts.peerPath, baudRate: opts.baudRate, lock: false, autoOpen: false });
      await new Promise<void>((resolve, reject) => peer.open((err) => (err ? reject(err) : resolve())));
      const sensor = new LineSensor(opts.peerPath);
      await sensor.sense(); // starts the helper now, not at the first frame
      this.sense = { peer, sensor, chain: Promise.resolve() };
    }
    port.on('error', (err) => this.log?.error({ bus: this.bus.id, err: err.message }, 'serial port error'));
    this.rawTap = splitter;
  }

  /** Splitter kept for tests that want its frameError events. */
  rawTap: RtuSplitter | undefined;

  private sense: { peer: SerialPort; sensor: LineSensor; chain: Promise<void> } | undefined;

  private onFrame(frame: Buffer, line: LineSettings): void {
    const sense = this.sense;
    if (!sense || !this.bus.lineMatters(frame)) return this.answer(frame, line);
    // In arrival order, each frame with the settings the master had when it was read; the time
    // stty takes counts against the reply's wire delay.
    const arrived = performance.now();
    sense.chain = sense.chain.then(async () => {
      const master = await sense.sensor.sense();
      this.answer(frame, master ? { baudRate: master.baudRate, parity: master.parity } : line, performance.now() - arrived);
    });
  }

  private answer(frame: Buffer, line: LineSettings, alreadyMs = 0): void {
    const reply = this.bus.handleRtu(frame, line);
    if (!reply) return;
    const write = () => this.port?.isOpen && this.port.write(reply.bytes);
    const delayMs = reply.delayMs - alreadyMs;
    if (delayMs <= 0) write();
    else {
      const t = setTimeout(() => {
        this.timers.delete(t);
        write();
      }, delayMs);
      this.timers.add(t);
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    const port = this.port;
    this.port = undefined;
    const peer = this.sense?.peer;
    this.sense?.sensor.close();
    this.sense = undefined;
    if (peer?.isOpen) await new Promise<void>((resolve) => peer.close(() => resolve()));
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
