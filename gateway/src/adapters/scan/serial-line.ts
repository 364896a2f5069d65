/** The scan's thin I/O adapter: a serialport opened at one line setting, one request at a time. */
import { SerialPort } from 'serialport';
import { PrepaidError, systemClock, type Clock, type TimerHandle } from '@prepaid-edge/protocols';
import type { Exchange, LineSettings, ScanLine } from './types.js';

export async function openSerialLine(path: string, line: LineSettings & { stopBits: 1 | 2 }, clock: Clock = systemClock): Promise<ScanLine> {
  const port = new SerialPort({ path, baudRate: line.baudRate, parity: line.parity, stopBits: line.stopBits, dataBits: 8, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err
        ? reject(new PrepaidError('E_BUS_UNAVAILABLE', `cannot open ${path} at ${line.baudRate} ${line.parity}: ${err.message}`, { path, baudRate: line.baudRate, parity: line.parity }, { cause: err }))
        : resolve(),
    ),
  );
  let buf = Buffer.alloc(0);
  let onData: (() => void) | undefined;
  port.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    onData?.();
  });
  port.on('error', () => undefined); // surfaces as silence on the exchange in flight, then on close

  return {
    exchange(request, timeoutMs, complete): Promise<Exchange> {
      // A late reply to the previous probe must not count for this one, but the scan wants to know of it.
      const late: Buffer[] = buf.length ? [buf] : [];
      buf = Buffer.alloc(0);
      return new Promise<Exchange>((resolve, reject) => {
        let timer: TimerHandle | undefined;
        const finish = (x: Exchange) => {
          clock.clearTimeout(timer);
          onData = undefined;
          resolve(late.length ? { ...x, late } : x);
        };
        onData = () => {
          for (;;) {
            const verdict = complete(buf);
            if (verdict === 'done') return finish({ kind: 'reply', bytes: buf });
            if (verdict === 'garbled') return finish({ kind: 'garbled', bytes: buf });
            if (verdict === 'more') return;
            late.push(buf.subarray(0, verdict.skip));
            buf = buf.subarray(verdict.skip);
          }
        };
        port.write(request, (err) => {
          if (err) {
            onData = undefined;
            return reject(new PrepaidError('E_BUS_UNAVAILABLE', `write to ${path} failed: ${err.message}`, { path }, { cause: err }));
          }
          // The wait starts once the request has left (drain): on a real line that is its wire time.
          port.drain(() => {
            if (onData) timer = clock.setTimeout(() => finish(buf.length ? { kind: 'garbled', bytes: buf } : { kind: 'silence' }), timeoutMs);
          });
        });
      });
    },
    async drain(ms) {
      await new Promise<void>((r) => clock.setTimeout(r, ms));
      const late = buf.length ? [buf] : [];
      buf = Buffer.alloc(0);
      return late;
    },
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}
