/**
 * The johnny-five boards named in the config (`boards:`), ready before any relay is driven.
 * 'virtual' is the firmware's in-memory board (demo, tests); 'firmata:PATH' a Firmata board on a
 * serial port (the firmware's openFirmata: firmata-io over our own serialport); 'raspi' the Pi's
 * own header through raspi-io (installed on the Pi, not here).
 */
import five, { type Board } from 'johnny-five';
import { PrepaidError, systemClock, type Clock } from '@prepaid-edge/protocols';
import type { BoardConfig } from '../../core/config/gateway-config.js';

const READY_TIMEOUT_MS = 15_000;

async function ioFor(cfg: BoardConfig): Promise<Record<string, unknown>> {
  if (cfg.io === 'virtual') {
    const { VirtualBoard, virtualPinMap } = await import('@prepaid-edge/firmware');
    return { io: new VirtualBoard({ pinMap: virtualPinMap() }).powerOn() };
  }
  if (cfg.io === 'raspi') {
    const mod = 'raspi-io';
    try {
      const { RaspiIO } = (await import(mod)) as { RaspiIO: new () => unknown };
      return { io: new RaspiIO() };
    } catch (e) {
      throw new PrepaidError('E_CONFIG_INVALID', `board ${cfg.id}: io 'raspi' needs the raspi-io package on the Pi (npm install raspi-io)`, { path: 'boards', board: cfg.id }, { cause: e });
    }
  }
  const path = cfg.io.slice('firmata:'.length);
  const { openFirmata } = await import('@prepaid-edge/firmware');
  try {
    return { io: await openFirmata(path, { readyTimeoutMs: READY_TIMEOUT_MS }) };
  } catch (e) {
    throw new PrepaidError('E_BUS_UNAVAILABLE', `board ${cfg.id}: ${(e as Error).message}`, { board: cfg.id, path }, { cause: e });
  }
}

/** `clock` times the wait for each board's ready (default: the system clock). */
export async function openBoards(configs: readonly BoardConfig[], clock: Clock = systemClock): Promise<Map<string, Board>> {
  const boards = new Map<string, Board>();
  for (const cfg of configs) {
    const opts = await ioFor(cfg);
    const board = new five.Board({ ...opts, id: cfg.id, repl: false, debug: false, sigint: false } as never);
    await new Promise<void>((resolve, reject) => {
      const t = clock.setTimeout(() => reject(new PrepaidError('E_BUS_UNAVAILABLE', `board ${cfg.id} (${cfg.io}) not ready after ${READY_TIMEOUT_MS} ms`, { board: cfg.id })), READY_TIMEOUT_MS);
      board.on('ready', () => {
        clock.clearTimeout(t);
        resolve();
      });
      board.on('error', (e: Error) => {
        clock.clearTimeout(t);
        reject(new PrepaidError('E_BUS_UNAVAILABLE', `board ${cfg.id} (${cfg.io}): ${e.message}`, { board: cfg.id }, { cause: e }));
      });
    });
    boards.set(cfg.id, board);
  }
  return boards;
}
