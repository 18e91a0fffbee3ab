// Cookie sessions of the dashboard: POST /dashboard/session trades a token for an HttpOnly, SameSite=Strict cookie, so
// the page never keeps the token itself; the session lives in memory and dies with the token, on sign-out or expiry.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../domain/clock.ts';
import type { AuthResult, TokenStore } from './tokens.ts';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'pw_session';
/**
 * Header a cookie-authenticated request must carry on anything but GET/HEAD: a cross-site form cannot set it, and a
 * cross-site script cannot send it without a CORS preflight this server never grants (defence in depth beside SameSite).
 */
export const CSRF_HEADER = 'x-probewatch-csrf';

/** Bounds of the session table. */
export interface SessionSettings {
  /** Seconds a session lasts from sign-in. */
  lifetime: number;
  /** Sessions kept at most; the oldest is dropped first. */
  max: number;
}

interface Session {
  /** SHA-256 of the token it was made from: the session ends when that token is no longer configured (SIGHUP). */
  tokenDigest: Buffer;
  expires: number;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Reads one cookie from a Cookie header (RFC 6265 syntax, first occurrence wins). */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The in-memory session table; ids are 256-bit random, kept only as their SHA-256. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #tokens: TokenStore;
  readonly #clock: Clock;
  readonly #settings: SessionSettings;

  constructor(tokens: TokenStore, clock: Clock, settings: SessionSettings) {
    this.#tokens = tokens;
    this.#clock = clock;
    this.#settings = settings;
  }

  /** Sessions alive. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Seconds a new session lasts. */
  get lifetime(): number {
    return this.#settings.lifetime;
  }

  /** Signs in with a token: the new session id and the token's scope, or the refusal. */
  create(token: string): { id: string; auth: AuthResult } {
    const auth = this.#tokens.check(`Bearer ${token}`);
    if (!auth.ok) return { id: '', auth };
    const now = this.#clock.now();
    for (const [k, s] of this.#sessions) if (s.expires <= now) this.#sessions.delete(k);
    while (this.#sessions.size >= this.#settings.max) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done === true) break;
      this.#sessions.delete(oldest.value);
    }
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(sha256(id).toString('hex'), { tokenDigest: sha256(token), expires: now + this.#settings.lifetime * 1000 });
    return { id, auth };
  }

  /** The scope of the session a Cookie header names, re-checked against the tokens configured now. */
  check(cookieHeader: string | undefined): AuthResult {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    if (id === null || id.length === 0) return { ok: false, reason: 'missing' };
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return { ok: false, reason: 'malformed' };
    const key = sha256(id).toString('hex');
    const s = this.#sessions.get(key);
    if (!s) return { ok: false, reason: 'unknown' };
    if (s.expires <= this.#clock.now()) {
      this.#sessions.delete(key);
      return { ok: false, reason: 'unknown' };
    }
    const auth = this.#tokens.checkDigest(s.tokenDigest);
    if (!auth.ok) this.#sessions.delete(key);
    return auth;
  }

  /** Ends the session a Cookie header names (sign-out); unknown sessions are ignored. */
  end(cookieHeader: string | undefined): void {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    if (id) this.#sessions.delete(sha256(id).toString('hex'));
  }
}
