/** A local webhook receiver on 127.0.0.1 (port chosen at run time) whose answers a test scripts: fail, hang, or accept; it de-duplicates by event id as a real receiver would. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/adapters/notify/webhook.js';

export type Answer = 'ok' | 'fail' | 'hang';

export interface Received {
  id: string;
  body: string;
  timestamp: string;
  signature: string;
  valid: boolean;
  answer: Answer;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Event ids acted on (answered 2xx, first time only). */
  accepted: string[];
  /** The answers to give, in order; then `then`. */
  script: Answer[];
  then: Answer;
  close(): Promise<void>;
}

export async function startReceiver(secret: string, port = 0): Promise<Receiver> {
  const hung: ServerResponse[] = [];
  const r: Receiver = { url: '', port: 0, received: [], accepted: [], script: [], then: 'ok', close: async () => undefined };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const answer = r.script.shift() ?? r.then;
      const id = String(req.headers['x-prepaid-event-id'] ?? '');
      const timestamp = String(req.headers['x-prepaid-timestamp'] ?? '');
      const signature = String(req.headers['x-prepaid-signature'] ?? '');
      r.received.push({ id, body, timestamp, signature, valid: verifySignature(secret, timestamp, body, signature), answer });
      if (answer === 'hang') return void hung.push(res);
      if (answer === 'fail') return void res.writeHead(503).end('busy');
      if (!r.accepted.includes(id)) r.accepted.push(id);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/hook`;
  r.close = () =>
    new Promise<void>((resolve) => {
      for (const h of hung) h.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}
