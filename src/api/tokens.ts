// Bearer tokens: read and admin scopes, kept as SHA-256 digests and compared in constant time; token-file loading.
import * as crypto from 'node:crypto';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { pwError } from '../domain/errors.ts';

/** What a token may do: read everything, or also manage blocks. */
export type Scope = 'read' | 'admin';

/** One accepted token. */
export interface TokenEntry {
  /** SHA-256 of the token text. */
  digest: Buffer;
  /** Its rights. */
  scope: Scope;
  /** Where it was configured ("token file /etc/probewatch/tokens:3", "api.tokens[0]"), for logs; never the token. */
  origin: string;
}

/** Result of checking an Authorization header. */
export type AuthResult = { ok: true; scope: Scope; origin: string } | { ok: false; reason: 'missing' | 'malformed' | 'unknown' };

// crypto.hash (Node 20.12+) is one call with no Hash object: a quarter of the cost of createHash on every request
const oneShot = (crypto as { hash?: typeof crypto.hash }).hash;
const sha256 = (s: string): Buffer => (oneShot ? oneShot('sha256', s, 'buffer') : createHash('sha256').update(s, 'utf8').digest());

/** Distinct accepted Authorization headers remembered (a few per client; past it the memo starts over). */
const ACCEPTED_CACHE = 256;

/** The set of accepted tokens; replaced as a whole on reload (SIGHUP). */
export class TokenStore {
  #entries: readonly TokenEntry[];
  // headers that were accepted, so a client's every request does not hash its token again. Only successes are kept
  // (a stream of wrong guesses cannot fill it) and a lookup reveals only what the answer does: whether the whole
  // header is a valid token. Bounded; emptied when the token set changes.
  readonly #accepted = new Map<string, AuthResult>();

  constructor(entries: readonly TokenEntry[] = []) {
    this.#entries = entries;
  }

  /** Number of tokens accepted. */
  get size(): number {
    return this.#entries.length;
  }

  /** Swaps in a new set. */
  replace(entries: readonly TokenEntry[]): void {
    this.#entries = entries;
    this.#accepted.clear();
  }

  /** Checks an `Authorization: Bearer …` header value. */
  check(header: string | undefined): AuthResult {
    if (header === undefined || header.length === 0) return { ok: false, reason: 'missing' };
    const known = this.#accepted.get(header);
    if (known !== undefined) return known;
    const m = /^Bearer[ ]+([\x21-\x7e]{1,4096})[ ]*$/i.exec(header);
    if (!m) return { ok: false, reason: 'malformed' };
    const r = this.checkDigest(sha256(m[1]!));
    if (r.ok) {
      if (this.#accepted.size >= ACCEPTED_CACHE) this.#accepted.clear();
      this.#accepted.set(header, r);
    }
    return r;
  }

  /** Checks a token given as its SHA-256 (a dashboard session keeps only that). */
  checkDigest(presented: Buffer): AuthResult {
    // every entry is compared, matched or not, so timing says nothing about which token (or how much of it) matched
    let found: TokenEntry | undefined;
    for (const e of this.#entries) {
      if (timingSafeEqual(presented, e.digest) && (!found || e.scope === 'admin')) found = e;
    }
    return found ? { ok: true, scope: found.scope, origin: found.origin } : { ok: false, reason: 'unknown' };
  }
}

/** Whether a granted scope satisfies a required one (admin implies read). */
export function scopeAllows(granted: Scope, required: Scope): boolean {
  return granted === 'admin' || required === 'read';
}

/**
 * Parses configured tokens: `read:TOKEN`, `admin:TOKEN`, or with a digest `read:sha256:HEX` (64 hex digits).
 * Throws PW_ERR_CONFIG_VALUE naming the entry (by index, never by value).
 */
export function parseTokenSpecs(specs: readonly string[], origin = 'api.tokens'): TokenEntry[] {
  return specs.map((spec, i) => {
    const m = /^(read|admin):(.+)$/.exec(spec.trim());
    if (!m) throw pwError('PW_ERR_CONFIG_VALUE', [`${origin}[${i}]`, 'expected read:TOKEN, admin:TOKEN or SCOPE:sha256:HEX']);
    const scope = m[1] as Scope;
    const rest = m[2]!;
    const hashed = /^sha256:([0-9a-fA-F]{64})$/.exec(rest);
    if (hashed) return { digest: Buffer.from(hashed[1]!, 'hex'), scope, origin: `${origin}[${i}]` };
    if (rest.startsWith('sha256:')) throw pwError('PW_ERR_CONFIG_VALUE', [`${origin}[${i}]`, 'a sha256: digest needs 64 hex digits']);
    if (rest.length < 16) throw pwError('PW_ERR_CONFIG_VALUE', [`${origin}[${i}]`, 'tokens must be at least 16 characters']);
    return { digest: sha256(rest), scope, origin: `${origin}[${i}]` };
  });
}

/** Outcome of reading a token file: its tokens and any warning about its permissions. */
export interface TokenFile {
  entries: TokenEntry[];
  warnings: string[];
}

/**
 * Reads a token file: one token per non-empty line (surrounding blanks trimmed, `#` lines are comments), each with admin
 * rights. The file is the secret: refused (PW_ERR_TOKEN_FILE_INSECURE) when its group or others have any permission on
 * it — 0600 or 0400 only. A group-readable file is refused too, not warned about: every token in it is an admin token, and
 * a warning in a daemon's log is read after the fact. `warnings` stays for notes that do not weaken the secret.
 */
export function readTokenFile(path: string): TokenFile {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode & 0o777;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw pwError('PW_ERR_INPUT_UNREADABLE', [path, (e as Error).message], { file: path });
  }
  const octal = `0${mode.toString(8)}`;
  if (mode & 0o077) throw pwError('PW_ERR_TOKEN_FILE_INSECURE', [path, octal], { file: path });
  const warnings: string[] = [];
  const entries: TokenEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) return;
    if (line.length < 16) throw pwError('PW_ERR_CONFIG_VALUE', [`${path}:${i + 1}`, 'tokens must be at least 16 characters'], { file: path, line: i + 1 });
    if (/\s/.test(line)) throw pwError('PW_ERR_CONFIG_VALUE', [`${path}:${i + 1}`, 'a token cannot contain blanks'], { file: path, line: i + 1 });
    entries.push({ digest: sha256(line), scope: 'admin', origin: `${path}:${i + 1}` });
  });
  return { entries, warnings };
}

/** A new random token (URL-safe, 256 bits). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The `sha256:HEX` form of a token, for configuration files. */
export function tokenDigest(token: string): string {
  return `sha256:${sha256(token).toString('hex')}`;
}
