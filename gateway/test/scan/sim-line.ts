/** A ScanLine answered in-process by a simulator bus, with line settings modelled exactly (baud and parity). */
import type { SimBus } from '@prepaid-edge/simulator';
import type { Exchange, LineSettings, ScanLine } from '../../src/adapters/scan/index.js';

export function simLineOpener(bus: SimBus, opened: LineSettings[] = []) {
  return async (_path: string, line: LineSettings): Promise<ScanLine> => {
    opened.push({ baudRate: line.baudRate, parity: line.parity });
    return {
      async exchange(request, _timeoutMs, complete): Promise<Exchange> {
        const reply = bus.handleRtu(request, { baudRate: line.baudRate, parity: line.parity });
        if (!reply) return { kind: 'silence' };
        let bytes = reply.bytes;
        for (;;) {
          const verdict = complete(bytes);
          if (verdict === 'done') return { kind: 'reply', bytes };
          if (verdict === 'garbled' || verdict === 'more') return bytes.length ? { kind: 'garbled', bytes } : { kind: 'silence' };
          bytes = bytes.subarray(verdict.skip);
        }
      },
      close: async () => undefined,
    };
  };
}
