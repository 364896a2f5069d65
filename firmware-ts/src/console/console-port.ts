/**
 * The console on a serial line (a USB-UART cable, or a socat pty in tests): bytes are cut into
 * lines by @serialport/parser-delimiter, each line goes to the session, replies go back CRLF.
 */
import { Transform, type Duplex, type TransformCallback } from 'node:stream';
import { DelimiterParser } from '@serialport/parser-delimiter';
import type { ConsoleSession } from './console-session.js';

/** Lines longer than this are cut (the delimiter parser would otherwise buffer without bound). */
const MAX_PENDING = 1024;

class LineLimit extends Transform {
  private pending = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const out: number[] = [];
    for (const b of chunk) {
      out.push(b);
      this.pending = b === 0x0a ? 0 : this.pending + 1;
      if (this.pending >= MAX_PENDING) {
        out.push(0x0a);
        this.pending = 0;
      }
    }
    cb(null, Buffer.from(out));
  }
}

export interface ConsoleAttachment {
  detach(): void;
}

export function attachConsole(port: Duplex, session: ConsoleSession, onLine?: (line: string) => void): ConsoleAttachment {
  const limit = new LineLimit();
  const parser = new DelimiterParser({ delimiter: '\n' });
  port.pipe(limit).pipe(parser);
  parser.on('data', (buf: Buffer) => {
    const line = buf.toString('latin1').replace(/\r$/, '');
    onLine?.(line);
    const reply = session.handle(line);
    if (reply.length > 0) port.write(reply.join('\r\n') + '\r\n');
  });
  return {
    detach: () => {
      port.unpipe(limit);
      limit.unpipe(parser);
      parser.removeAllListeners('data');
    },
  };
}
