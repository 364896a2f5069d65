/**
 * Brute-force brake for the login form: failures are counted per client IP and per user name;
 * `maxFailures` of either within the lockout window lock that key out for `lockoutMs`. A success
 * clears the user's and the IP's count. Counting by user too stops a spread-out attack on one
 * account; counting by IP stops one client guessing across accounts.
 */
export interface LimiterOptions {
  maxFailures: number;
  lockoutMs: number;
  now: () => number;
}

interface Entry {
  failures: number;
  firstAt: number;
  lockedUntil: number;
}

export class LoginLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly o: LimiterOptions) {}

  /** Ms until the IP or the user may try again; 0 = allowed now. */
  blockedFor(ip: string, user: string): number {
    const now = this.o.now();
    return Math.max(0, ...[`ip:${ip}`, `user:${user}`].map((k) => (this.entries.get(k)?.lockedUntil ?? 0) - now));
  }

  fail(ip: string, user: string): void {
    const now = this.o.now();
    for (const k of [`ip:${ip}`, `user:${user}`]) {
      let e = this.entries.get(k);
      // Failures older than one lockout period are forgotten.
      if (!e || now - e.firstAt > this.o.lockoutMs) e = { failures: 0, firstAt: now, lockedUntil: 0 };
      e.failures++;
      if (e.failures >= this.o.maxFailures) {
        e.lockedUntil = now + this.o.lockoutMs;
        e.failures = 0;
        e.firstAt = now;
      }
      this.entries.set(k, e);
    }
    this.prune(now);
  }

  succeed(ip: string, user: string): void {
    this.entries.delete(`ip:${ip}`);
    this.entries.delete(`user:${user}`);
  }

  /** Keeps the map bounded when many IPs try once. */
  private prune(now: number): void {
    if (this.entries.size < 10_000) return;
    for (const [k, e] of this.entries) if (e.lockedUntil <= now && now - e.firstAt > this.o.lockoutMs) this.entries.delete(k);
  }
}
