#!/usr/bin/env node
/**
 * prepaid-firmware: run the meter firmware on a board.
 *
 *   prepaid-firmware --config meter.json --pins pins.json --state-dir /var/lib/prepaid-meter \
 *     --board raspi | firmata:/dev/ttyACM0 | virtual  [--modbus /dev/ttyUSB0] [--console /dev/ttyUSB1]
 *
 * Logs JSON lines to stderr; the line with "msg":"ready" says what is running.
 */
import { parseArgs } from 'node:util';
import { SerialPort } from 'serialport';
import { every, isPrepaidError, systemClock, type Clock } from '@prepaid-edge/protocols';
import { loadFirmwareConfig } from './config.js';
import { Firmware, type FirmwareLogger } from './firmware.js';
import { loadPinMap, virtualPinMap, type PinMap } from './hw/pin-map.js';
import { FileSlots } from './persist/slots.js';
import { RtuSlavePort } from './modbus/rtu-slave-port.js';
import { ConsoleSession } from './console/console-session.js';
import { attachConsole } from './console/console-port.js';
import { VirtualBoard } from './virtual/virtual-board.js';
import { openFirmata } from './hw/firmata-board.js';
import type { LineSettings } from './core/types.js';

const log: FirmwareLogger = {
  info: (msg, data) => line('info', msg, data),
  warn: (msg, data) => line('warn', msg, data),
  error: (msg, data) => line('error', msg, data),
};

function line(level: string, msg: string, data: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...data })}\n`);
}

const { values: opt } = parseArgs({
  options: {
    config: { type: 'string' },
    pins: { type: 'string' },
    'state-dir': { type: 'string' },
    board: { type: 'string', default: 'virtual' },
    modbus: { type: 'string' },
    console: { type: 'string' },
    'console-baud': { type: 'string', default: '115200' },
    'virtual-load': { type: 'string', description: 'virtual board only: a constant load in W driving the S0 input' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (opt.help || !opt.config || !opt['state-dir']) {
  process.stderr.write(
    'usage: prepaid-firmware --config FILE --state-dir DIR [--pins FILE] [--board virtual|raspi|firmata:PATH]\n' +
      '                        [--modbus PATH] [--console PATH] [--console-baud 115200] [--virtual-load W]\n',
  );
  process.exit(opt.help ? 0 : 2);
}

function openPort(path: string, baudRate: number, parity: 'none' | 'even' | 'odd'): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, parity, dataBits: 8, stopBits: 1, autoOpen: false });
  return new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve(port))));
}

async function main(): Promise<void> {
  const config = loadFirmwareConfig(opt.config!);
  const pinMap: PinMap = opt.pins ? loadPinMap(opt.pins) : virtualPinMap();
  const storage = new FileSlots(opt['state-dir']!);
  const board = opt.board!;
  const clock = systemClock;
  let fw: Firmware;
  let stopLoad = (): void => {};
  if (board === 'virtual') {
    const vb = new VirtualBoard({ pinMap, meter: () => ({ voltage: 230, current: 0, power: 0, energyWh: 0, frequency: 50, powerFactor: 1 }) });
    fw = Firmware.boot({ config, pinMap, io: vb.powerOn(), storage, log, clock });
    const watts = Number(opt['virtual-load'] ?? 0);
    if (watts > 0) stopLoad = virtualLoad(vb, watts, config.impulsesPerKwh, clock);
  } else if (board === 'raspi') {
    const mod = (await import(String('raspi-io')).catch(() => {
      throw new Error('raspi-io is not installed: npm install raspi-io (on the Pi)');
    })) as { RaspiIO: new () => unknown };
    fw = await Firmware.start({ config, pinMap, io: new mod.RaspiIO(), storage, log, clock });
  } else if (board.startsWith('firmata:')) {
    fw = await Firmware.start({ config, pinMap, io: await openFirmata(board.slice('firmata:'.length)), storage, log, clock });
  } else throw new Error(`unknown --board ${board}`);

  let slave: { port: SerialPort; rtu: RtuSlavePort } | undefined;
  const openModbus = async (l: LineSettings): Promise<void> => {
    if (!opt.modbus) return;
    if (slave) {
      slave.rtu.detach();
      await new Promise<void>((r) => slave!.port.close(() => r()));
    }
    const port = await openPort(opt.modbus, l.baudRate, l.parity);
    const rtu = new RtuSlavePort(port, {
      unitId: () => fw.core.state.line.unitId,
      handle: (pdu) => fw.handleModbusPdu(pdu),
      baudRate: l.baudRate,
      parity: l.parity,
      transmit: (on) => fw.hardware.transmit(on),
    });
    slave = { port, rtu };
  };
  await openModbus(fw.core.state.line);
  fw.on('line', (l: LineSettings) => {
    // The console acknowledged first; the new line settings apply from the next frame.
    openModbus(l).catch((e: Error) => log.error('cannot reopen the Modbus port', { err: e.message }));
  });

  let consolePort: SerialPort | undefined;
  if (opt.console) {
    consolePort = await openPort(opt.console, Number(opt['console-baud']), 'none');
    const session = new ConsoleSession(fw.consoleTarget(), { pin: config.console.pin, maxFailures: config.console.maxFailures, lockoutMs: config.console.lockoutS * 1000, clock: fw.clock });
    attachConsole(consolePort, session);
  }

  const stop = async (): Promise<void> => {
    stopLoad();
    fw.stop();
    await Promise.all([slave && new Promise((r) => slave!.port.close(r)), consolePort && new Promise((r) => consolePort!.close(r))]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  setInterval(() => {}, 1 << 30); // the firmware's own timers are unref'd; keep the process alive
  log.info('ready', { board, modbus: opt.modbus ?? null, console: opt.console ?? null, line: fw.core.state.line, boot: fw.boot, energyImportWh: fw.core.state.energy.importWh });
}

/** A constant load on the virtual board: one S0 pulse of 30 ms every 3.6e6/(W*imp/1000) ms. */
function virtualLoad(vb: VirtualBoard, watts: number, impulsesPerKwh: number, clock: Clock): () => void {
  const periodMs = 3_600_000_000 / (watts * impulsesPerKwh);
  return every(clock, periodMs, () => {
    vb.s0(true);
    clock.setTimeout(() => vb.s0(false), Math.min(30, periodMs / 2));
  });
}

main().catch((e: unknown) => {
  line('error', 'firmware failed to start', { err: (e as Error).message, ...(isPrepaidError(e) ? { code: e.code, path: e.context.path } : {}) });
  process.exit(1);
});
