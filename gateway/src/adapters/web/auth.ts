/**
 * Who is asking: a login session (cookie, for the browser) or a bearer token (API clients,
 * Prometheus). Passwords are checked with scrypt, failures are rate-limited per IP and per user.
 * Nothing here logs a password, token, hash or session id.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/sqlite.js';
import type { ConsoleConfig } from '../../core/config/gateway-config.js';
import { LoginLimiter } from './login-limiter.js';
import { DUMMY_HASH, hashToken, parsePasswordHash, sameTokenHash, verifyPassword, type ParsedPasswordHash } from './password.js';
import { SessionStore, passwordFingerprint, type Session } from './sessions.js';

/** Sessions end after this long without a request unless console.sessionIdleMs says otherwise. */
export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;

export const SESSION_COOKIE = 'pgw_session';

export interface Principal {
  /** User name, or the API token's name. */
  name: string;
  via: 'session' | 'token' | 'metrics-token';
  session?: Session;
}

export type LoginResult = { ok: true; token: string; session: Session } | { ok: false; reason: 'failed' } | { ok: false; reason: 'locked'; retryAfterMs: number };

export class ConsoleAuth {
  readonly sessions: SessionStore;
  readonly limiter: LoginLimiter;
  private readonly users = new Map<string, ParsedPasswordHash>();

  private readonly fingerprints = new Map<string, string>();

  constructor(
    private readonly cfg: ConsoleConfig,
    db: Db,
    now: () => number,
  ) {
    cfg.users.forEach((u, i) => {
      this.fingerprints.set(u.name, passwordFingerprint(u.passwordHash));
      try {
        this.users.set(u.name, parsePasswordHash(u.passwordHash));
      } catch (e) {
        (e as { context?: { path?: string } }).context!.path = `console.users[${i}].passwordHash`;
        throw e;
      }
    });
    this.sessions = new SessionStore({ db, ttlMs: cfg.sessionTtlMs, idleMs: cfg.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS, now, passwordFingerprint: (u) => this.fingerprints.get(u) });
    this.limiter = new LoginLimiter({ db, maxFailures: cfg.loginMaxFailures, lockoutMs: cfg.loginLockoutMs, now });
  }

  async login(ip: string, user: string, password: string): Promise<LoginResult> {
    const blocked = await this.limiter.blockedFor(ip, user);
    if (blocked > 0) return { ok: false, reason: 'locked', retryAfterMs: blocked };
    const hash = this.users.get(user);
    // Unknown users cost a full scrypt too, so timing does not tell which names exist.
    const ok = (await verifyPassword(password, hash ?? DUMMY_HASH)) && hash !== undefined;
    if (!ok) {
      await this.limiter.fail(ip, user);
      const now = await this.limiter.blockedFor(ip, user);
      return now > 0 ? { ok: false, reason: 'locked', retryAfterMs: now } : { ok: false, reason: 'failed' };
    }
    await this.limiter.succeed(ip, user);
    return { ok: true, ...(await this.sessions.create(user)) };
  }

  /** The principal behind a request's Cookie / Authorization headers, if any is valid. */
  async identify(headers: { cookie?: string | undefined; authorization?: string | undefined }): Promise<Principal | undefined> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    if (bearer) {
      const h = hashToken(bearer);
      const t = this.cfg.apiTokens.find((x) => sameTokenHash(x.tokenHash, h));
      if (t) return { name: t.name, via: 'token' };
      if (this.cfg.metricsTokenHash && sameTokenHash(this.cfg.metricsTokenHash, h)) return { name: 'metrics', via: 'metrics-token' };
      return undefined;
    }
    const session = await this.sessions.get(cookieValue(headers.cookie, SESSION_COOKIE));
    return session ? { name: session.user, via: 'session', session } : undefined;
  }
}

/** True when `given` is this session's CSRF token (constant time). */
export function validCsrf(session: Session, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/** Set-Cookie for a new session: HttpOnly, SameSite=Strict, expiring with the session. */
export function sessionCookie(token: string, s: Session, now: number, secure: boolean): string {
  const maxAge = Math.max(0, Math.ceil((s.expiresAt - now) / 1000));
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}
