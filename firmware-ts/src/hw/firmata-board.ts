/**
 * A Firmata board (Arduino with StandardFirmata) on a serial port, as a johnny-five IO plugin, over
 * our own serialport. johnny-five's `new Board({ port: PATH })` would load the `firmata` package and
 * with it serialport 8 (old native bindings); firmata-io is the same protocol code without a
 * transport of its own, so the one serialport in the tree carries it.
 */
import type { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import firmataIo from 'firmata-io';

export interface FirmataOptions {
  /** StandardFirmata's default; default 57600. */
  baudRate?: number;
  /** Whole handshake (open, version, firmware, capabilities, analog map); default 15 s. */
  readyTimeoutMs?: number;
  /** Ask for the version if the board has not announced it (no reset on open) after; default 5 s. */
  reportVersionTimeoutMs?: number;
}

/** A ready Firmata IO plugin: pass it as `io` to `new five.Board({ io })`. */
export interface FirmataIo extends EventEmitter {
  readonly isReady: boolean;
  readonly name: string;
}

/** Opens PATH and completes the Firmata handshake; rejects naming PATH if either fails. */
export async function openFirmata(path: string, opts: FirmataOptions = {}): Promise<FirmataIo> {
  const port = new SerialPort({ path, baudRate: opts.baudRate ?? 57_600, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(new Error(`firmata ${path}: cannot open the serial port: ${err.message}`, { cause: err })) : resolve())),
  );
  const io = new firmataIo.Firmata(port, { reportVersionTimeout: opts.reportVersionTimeoutMs ?? 5_000 });
  const timeoutMs = opts.readyTimeoutMs ?? 15_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        io.off('ready', onReady).off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onReady = (): void => done();
      const onError = (e: Error): void => done(new Error(`firmata ${path}: ${e.message}`, { cause: e }));
      const timer = setTimeout(() => done(new Error(`firmata ${path}: no Firmata handshake within ${timeoutMs} ms (is StandardFirmata flashed?)`)), timeoutMs);
      io.on('ready', onReady).on('error', onError);
    });
  } catch (e) {
    await closeFirmata(io);
    throw e;
  }
  return io;
}

/** Closes the serial port under a FirmataIo from openFirmata. */
export function closeFirmata(io: FirmataIo): Promise<void> {
  const port = (io as unknown as { transport: SerialPort }).transport;
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}
