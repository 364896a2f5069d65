/**
 * Brute-force brake for the login form: failures are counted per client IP and per user name;
 * `maxFailures` of either within the lockout window lock that key out for `lockoutMs`. A success
 * clears the user's and the IP's count. Counting by user too stops a spread-out attack on one
 * account; counting by IP stops one client guessing across accounts. The counts live in the
 * console store, so a restart neither forgets a lockout nor grants fresh attempts.
 */
import type { Db } from '../store/sqlite.js';

export interface LimiterOptions {
  db: Db;
  maxFailures: number;
  lockoutMs: number;
  now: () => number;
}

interface Entry extends Record<string, unknown> {
  key: string;
  failures: number;
  first_at: number;
  locked_until: number;
}

const keysOf = (ip: string, user: string): [string, string] => [`ip:${ip}`, `user:${user}`];

export class LoginLimiter {
  /** fail() reads then writes; concurrent failures are applied one after another so none is lost. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: LimiterOptions) {}

  /** Ms until the IP or the user may try again; 0 = allowed now. */
  async blockedFor(ip: string, user: string): Promise<number> {
    const now = this.o.now();
    const rows = await this.o.db.all<Entry>('SELECT * FROM login_failures WHERE key IN (?, ?)', keysOf(ip, user));
    return Math.max(0, ...rows.map((e) => e.locked_until - now));
  }

  fail(ip: string, user: string): Promise<void> {
    const run = this.queue.then(() => this.failNow(ip, user));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async failNow(ip: string, user: string): Promise<void> {
    const now = this.o.now();
    for (const key of keysOf(ip, user)) {
      let e = await this.o.db.get<Entry>('SELECT * FROM login_failures WHERE key = ?', [key]);
      // Failures older than one lockout period are forgotten.
      if (!e || now - e.first_at > this.o.lockoutMs) e = { key, failures: 0, first_at: now, locked_until: e?.locked_until ?? 0 };
      e.failures++;
      if (e.failures >= this.o.maxFailures) {
        e.locked_until = now + this.o.lockoutMs;
        e.failures = 0;
        e.first_at = now;
      }
      await this.o.db.run('INSERT OR REPLACE INTO login_failures (key, failures, first_at, locked_until) VALUES (?, ?, ?, ?)', [key, e.failures, e.first_at, e.locked_until]);
    }
    // Keeps the table small when many IPs try once.
    await this.o.db.run('DELETE FROM login_failures WHERE locked_until <= ? AND first_at < ?', [now, now - this.o.lockoutMs]);
  }

  async succeed(ip: string, user: string): Promise<void> {
    await this.o.db.run('DELETE FROM login_failures WHERE key IN (?, ?)', keysOf(ip, user));
  }
}
