/**
 * Login sessions in the console store (console-store.ts). The cookie carries a random token; the
 * file keeps only its SHA-256, so a copy of the file opens no session. A session ends `ttlMs` after
 * login (absolute), `idleMs` after its last request, when revoked, or when its user's password
 * hash in the config changes (each row keeps a fingerprint of the hash it was opened with).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/sqlite.js';

export interface Session {
  /** Public id (first 16 hex digits of the token's hash): for listing and revoking, opens nothing. */
  id: string;
  user: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end: login + ttlMs. */
  expiresAt: number;
  /** When it ends if unused: lastSeenAt + idleMs (never after expiresAt). */
  idleExpiresAt: number;
  /** Bound to this session: state-changing requests must echo it in X-CSRF-Token. */
  csrfToken: string;
}

export interface SessionOptions {
  db: Db;
  ttlMs: number;
  idleMs: number;
  now: () => number;
  /** Fingerprint of the user's current password hash; undefined when the user no longer exists. */
  passwordFingerprint: (user: string) => string | undefined;
}

interface Row extends Record<string, unknown> {
  token_hash: string;
  user: string;
  password_fp: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The CSRF token of the session whose cookie token is `token` (derived, so nothing more to store). */
export function csrfTokenFor(token: string): string {
  return createHash('sha256').update(`pgw-csrf\0${token}`, 'utf8').digest('base64url');
}

/** 16 hex digits of SHA-256 over the password hash: changes when the password does. */
export function passwordFingerprint(passwordHash: string): string {
  return sha256(passwordHash).slice(0, 16);
}

export class SessionStore {
  /** last_seen_at is written at most this often per session (an open page polls every few s). */
  private readonly touchMs: number;

  constructor(private readonly o: SessionOptions) {
    this.touchMs = Math.min(60_000, Math.floor(o.idleMs / 10));
  }

  async create(user: string): Promise<{ token: string; session: Session }> {
    const now = this.o.now();
    // Rows nobody comes back for are dropped here (and at start, and when listed).
    await this.o.db.run('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at + ? <= ?', [now, this.o.idleMs, now]);
    const token = randomBytes(32).toString('base64url');
    const row: Row = { token_hash: sha256(token), user, password_fp: this.o.passwordFingerprint(user) ?? '', created_at: now, last_seen_at: now, expires_at: now + this.o.ttlMs };
    await this.o.db.run('INSERT INTO sessions (token_hash, user, password_fp, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [row.token_hash, row.user, row.password_fp, row.created_at, row.last_seen_at, row.expires_at]);
    return { token, session: this.toSession(row, token) };
  }

  /** The live session for this cookie token, or undefined (unknown, expired, idle, revoked); a dead one is deleted. */
  async get(token: string | undefined): Promise<Session | undefined> {
    if (!token) return undefined;
    const hash = sha256(token);
    const row = await this.o.db.get<Row>('SELECT * FROM sessions WHERE token_hash = ?', [hash]);
    if (!row) return undefined;
    const now = this.o.now();
    if (!this.alive(row, now)) {
      await this.o.db.run('DELETE FROM sessions WHERE token_hash = ?', [hash]);
      return undefined;
    }
    if (now - row.last_seen_at >= this.touchMs) {
      row.last_seen_at = now;
      await this.o.db.run('UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?', [now, hash]);
    }
    return this.toSession(row, token);
  }

  async end(token: string | undefined): Promise<void> {
    if (token) await this.o.db.run('DELETE FROM sessions WHERE token_hash = ?', [sha256(token)]);
  }

  /** Revoke one session by its public id; true if it existed. */
  async revoke(id: string): Promise<boolean> {
    return (await this.o.db.run('DELETE FROM sessions WHERE substr(token_hash, 1, 16) = ?', [id])).changes > 0;
  }

  /** Revoke every session (of one user, if given); returns how many ended. */
  async revokeAll(user?: string): Promise<number> {
    const r = user === undefined ? await this.o.db.run('DELETE FROM sessions') : await this.o.db.run('DELETE FROM sessions WHERE user = ?', [user]);
    return r.changes;
  }

  /** Live sessions, newest first (without their CSRF tokens: those need the cookie). */
  async list(): Promise<Array<Omit<Session, 'csrfToken'>>> {
    await this.prune();
    const rows = await this.o.db.all<Row>('SELECT * FROM sessions ORDER BY created_at DESC');
    return rows.map((r) => {
      const { csrfToken: _, ...s } = this.toSession(r, '');
      return s;
    });
  }

  /** Delete the sessions that are over (expired, idle, or opened with a password that changed). */
  async prune(): Promise<number> {
    const now = this.o.now();
    let n = (await this.o.db.run('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at + ? <= ?', [now, this.o.idleMs, now])).changes;
    for (const r of await this.o.db.all<Row>('SELECT token_hash, user, password_fp FROM sessions')) {
      if (r.password_fp !== this.o.passwordFingerprint(r.user)) n += (await this.o.db.run('DELETE FROM sessions WHERE token_hash = ?', [r.token_hash])).changes;
    }
    return n;
  }

  private alive(r: Row, now: number): boolean {
    return r.expires_at > now && r.last_seen_at + this.o.idleMs > now && r.password_fp === this.o.passwordFingerprint(r.user);
  }

  private toSession(r: Row, token: string): Session {
    return {
      id: r.token_hash.slice(0, 16),
      user: r.user,
      createdAt: r.created_at,
      lastSeenAt: r.last_seen_at,
      expiresAt: r.expires_at,
      idleExpiresAt: Math.min(r.expires_at, r.last_seen_at + this.o.idleMs),
      csrfToken: token ? csrfTokenFor(token) : '',
    };
  }
}
