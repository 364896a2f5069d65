/** Login sessions in memory: a random id (the cookie) -> user, ending `ttlMs` after login. */
import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  user: string;
  createdAt: number;
  expiresAt: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly o: { ttlMs: number; now: () => number }) {}

  create(user: string): Session {
    const now = this.o.now();
    const s: Session = { id: randomBytes(32).toString('base64url'), user, createdAt: now, expiresAt: now + this.o.ttlMs };
    this.sessions.set(s.id, s);
    this.prune(now);
    return s;
  }

  /** The live session with this id, or undefined (unknown or expired; an expired one is forgotten). */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.o.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private prune(now: number): void {
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}
