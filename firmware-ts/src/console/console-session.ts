/**
 * The maintenance console's line protocol, pure: one line in, reply lines out. Every reply ends
 * with a line `OK` or `ERR <what>`. Everything but `help` and `login` needs the technician PIN;
 * after `maxFailures` wrong PINs in a row the console locks for `lockoutMs`.
 *
 *   login <pin> | logout | help | status | energy | balance | events [n] | token <20 digits>
 *   relay test | set address <1-247> | set baud <1200-115200> [none|even|odd] | tamper clear
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@prepaid-edge/protocols';
import type { MeterEvent, Parity } from '../core/types.js';

export interface ConsoleTarget {
  status(): Record<string, string | number | boolean>;
  energy(): Record<string, string | number>;
  balance(): Record<string, string | number>;
  events(count: number): MeterEvent[];
  token(digits: string): { ok: boolean; text: string };
  relayTest(): { ok: boolean; reason?: string };
  tamperClear(): void;
  setLine(change: { unitId?: number; baudRate?: number; parity?: Parity }): void;
}

export interface ConsoleOptions {
  pin: string;
  maxFailures: number;
  lockoutMs: number;
  clock: Clock;
}

const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
const MAX_LINE = 200;
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const kv = (o: Record<string, unknown>): string[] => Object.entries(o).map(([k, v]) => `${k}=${String(v)}`);

export const HELP = [
  'login <pin>            unlock the console',
  'logout                 lock it again',
  'status                 relay, status bits, mode, line settings',
  'energy                 energy registers and power',
  'balance                credit balance and token credit',
  'events [n]             newest n events (default 10)',
  'token <20 digits>      enter an STS token',
  'relay test             open the relay, close it again after a few seconds',
  'tamper clear           clear latched tamper bits',
  'set address <1-247>    Modbus unit id',
  'set baud <rate> [none|even|odd]',
];

export class ConsoleSession {
  private authed = false;
  private failures = 0;
  private lockedUntil = 0;
  private readonly pinDigest: Buffer;

  constructor(
    private readonly target: ConsoleTarget,
    private readonly opts: ConsoleOptions,
  ) {
    this.pinDigest = digest(opts.pin);
  }

  get authenticated(): boolean {
    return this.authed;
  }

  handle(raw: string): string[] {
    const line = raw.trim();
    if (line.length === 0) return [];
    if (line.length > MAX_LINE) return ['ERR line too long'];
    const words = line.split(/\s+/);
    const cmd = words[0]!.toLowerCase();
    const args = words.slice(1);
    if (cmd === 'help') return [...HELP, 'OK'];
    if (cmd === 'login') return this.login(args[0] ?? '');
    if (!this.authed) return ['ERR login required'];
    switch (cmd) {
      case 'logout':
        this.authed = false;
        return ['OK'];
      case 'status':
        return [...kv(this.target.status()), 'OK'];
      case 'energy':
        return [...kv(this.target.energy()), 'OK'];
      case 'balance':
        return [...kv(this.target.balance()), 'OK'];
      case 'events': {
        const n = args[0] === undefined ? 10 : Number(args[0]);
        if (!Number.isInteger(n) || n < 1 || n > 1000) return ['ERR events wants a count 1-1000'];
        return [...this.target.events(n).map((e) => `seq=${e.seq} type=${e.type} ts=${e.ts} value=${e.value}`), 'OK'];
      }
      case 'token': {
        const digits = args.join('').replace(/-/g, '');
        if (!/^\d{20}$/.test(digits)) return ['ERR token wants 20 digits'];
        const r = this.target.token(digits);
        return [r.text, r.ok ? 'OK' : 'ERR token rejected'];
      }
      case 'relay': {
        if (args[0]?.toLowerCase() !== 'test') return ['ERR usage: relay test'];
        const r = this.target.relayTest();
        return r.ok ? ['relay test started', 'OK'] : [`ERR ${r.reason ?? 'refused'}`];
      }
      case 'tamper':
        if (args[0]?.toLowerCase() !== 'clear') return ['ERR usage: tamper clear'];
        this.target.tamperClear();
        return ['OK'];
      case 'set':
        return this.set(args);
    }
    return [`ERR unknown command ${cmd} (try help)`];
  }

  private login(pin: string): string[] {
    const now = this.opts.clock.monotonic();
    if (now < this.lockedUntil) return [`ERR locked for ${Math.ceil((this.lockedUntil - now) / 1000)} s`];
    if (timingSafeEqual(digest(pin), this.pinDigest)) {
      this.authed = true;
      this.failures = 0;
      return ['OK'];
    }
    this.authed = false;
    if (++this.failures >= this.opts.maxFailures) {
      this.failures = 0;
      this.lockedUntil = now + this.opts.lockoutMs;
      return ['ERR wrong pin, console locked'];
    }
    return ['ERR wrong pin'];
  }

  private set(args: string[]): string[] {
    const what = args[0]?.toLowerCase();
    if (what === 'address') {
      const unit = Number(args[1]);
      if (!Number.isInteger(unit) || unit < 1 || unit > 247) return ['ERR address must be 1-247'];
      this.target.setLine({ unitId: unit });
      return ['OK'];
    }
    if (what === 'baud') {
      const baud = Number(args[1]);
      if (!BAUD_RATES.includes(baud)) return [`ERR baud must be one of ${BAUD_RATES.join(' ')}`];
      const parity = args[2]?.toLowerCase();
      if (parity !== undefined && parity !== 'none' && parity !== 'even' && parity !== 'odd') return ['ERR parity must be none, even or odd'];
      this.target.setLine(parity === undefined ? { baudRate: baud } : { baudRate: baud, parity });
      return ['OK'];
    }
    return ['ERR usage: set address <n> | set baud <rate> [parity]'];
  }
}
