// Stored GET /sources/{ip} bodies (api_profile_docs): written by the search indexer, read by the API in one row.
import type { Database, Statement } from 'better-sqlite3';
import type { SourceProfile } from '../../domain/profile.ts';
import { ApiMeta } from './meta.ts';

/** A stored body and the profile version it was written for. */
export interface StoredDoc {
  version: number;
  body: Buffer;
}

/** What writes bodies: the API's serializer and the identity of its output (see api/profile-body.ts). */
export interface DocSerializer {
  serialize: (profile: SourceProfile) => string;
  shape: string;
}

const SHAPE_KEY = 'docs_shape';
/** Address after which the background rebuild goes on ('' = from the start); DONE when every source was visited. */
const CURSOR_KEY = 'docs_cursor';
const DONE = 'done';

/**
 * The table of stored bodies. Rows are only used while the meta row says they were written in `shape` (the serving
 * process's serializer and enrichment policy) and while their version equals the source's, so a stored body is never
 * served stale; `adopt()` drops the rows of another shape.
 */
export class ProfileDocs {
  readonly #db: Database;
  readonly #shape: string;
  readonly #meta: ApiMeta;
  readonly #get: Statement<[string], StoredDoc>;
  readonly #current: Statement<[string], { version: number; updatedAt: number; body: Buffer | null }>;
  readonly #put: Statement<[string, number, Buffer]>;
  readonly #drop: Statement<[string]>;
  readonly #count: Statement<[], number>;
  #usable: boolean;

  constructor(db: Database, shape: string) {
    this.#db = db;
    this.#shape = shape;
    this.#meta = new ApiMeta(db);
    this.#get = db.prepare<[string], StoredDoc>('SELECT version, body FROM api_profile_docs WHERE ip = ?');
    // one statement, so one read transaction (two lock calls on the WAL index instead of four) and one step
    this.#current = db.prepare<[string], { version: number; updatedAt: number; body: Buffer | null }>(`
      SELECT s.version, s.updated_at AS updatedAt, d.body FROM sources s
      LEFT JOIN api_profile_docs d ON d.ip = s.ip AND d.version = s.version WHERE s.ip = ?`);
    this.#put = db.prepare<[string, number, Buffer]>(`INSERT INTO api_profile_docs (ip, version, body) VALUES (?, ?, ?)
      ON CONFLICT (ip) DO UPDATE SET version = excluded.version, body = excluded.body`);
    this.#drop = db.prepare<[string]>('DELETE FROM api_profile_docs WHERE ip = ?');
    this.#count = db.prepare<[], number>('SELECT count(*) FROM api_profile_docs').pluck();
    this.#usable = this.#meta.get(SHAPE_KEY) === shape;
  }

  /** Whether the stored bodies are of this process's shape (otherwise none is read). */
  get usable(): boolean {
    return this.#usable;
  }

  /** The identity of the bodies this process writes and reads. */
  get shape(): string {
    return this.#shape;
  }

  /**
   * Makes the stored bodies this process's: when they were written in another shape (another schema, enrichment policy
   * or format; or none yet), drops them all and starts the background rebuild. Returns the rows dropped. The writer
   * (serve) calls it once at start-up.
   */
  adopt(): number {
    if (this.#meta.get(SHAPE_KEY) === this.#shape) {
      this.#usable = true;
      return 0;
    }
    return this.#db.transaction(() => {
      // a DELETE without WHERE is SQLite's truncate: the table's pages are freed without visiting the rows
      const n = this.#count.get() ?? 0;
      this.#db.prepare('DELETE FROM api_profile_docs').run();
      this.#meta.set(SHAPE_KEY, this.#shape);
      this.#meta.set(CURSOR_KEY, '');
      this.#usable = true;
      return n;
    }).immediate();
  }

  /** The stored body of `ip`, when there is one of this shape (compare its version with the source's before use). */
  get(ip: string): StoredDoc | undefined {
    return this.#usable ? this.#get.get(ip) : undefined;
  }

  /**
   * The source's version and change time, with its stored body when there is one of this shape written for that very
   * version (null otherwise); undefined when the source is unknown or the bodies are of another shape (check `usable`).
   */
  current(ip: string): { version: number; updatedAt: number; body: Buffer | null } | undefined {
    return this.#usable ? this.#current.get(ip) : undefined;
  }

  /**
   * Stops keeping bodies (api.profileDocs off): drops the rows, so a later start with it on rebuilds them rather than
   * trusting rows no one kept current.
   */
  abandon(): void {
    this.#usable = false;
    if (this.#meta.get(SHAPE_KEY) === '' && this.count() === 0) return;
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM api_profile_docs').run();
      this.#meta.set(SHAPE_KEY, '');
      this.#meta.set(CURSOR_KEY, DONE);
    }).immediate();
  }

  /** Stores the body of `ip` at `version` (inside the transaction that read the profile). */
  put(ip: string, version: number, body: string): void {
    this.#put.run(ip, version, Buffer.from(body, 'utf8'));
  }

  /** Removes the body of `ip` (the source is gone). */
  drop(ip: string): void {
    this.#drop.run(ip);
  }

  /** Rows stored. */
  count(): number {
    return this.#count.get() ?? 0;
  }

  /** Where the background rebuild goes on from: an address, '' for the start, or null when it is finished. */
  rebuildCursor(): string | null {
    const c = this.#meta.get(CURSOR_KEY, DONE);
    return c === DONE ? null : c;
  }

  /** Records the rebuild's progress (null: finished). */
  setRebuildCursor(ip: string | null): void {
    this.#meta.set(CURSOR_KEY, ip ?? DONE);
  }
}
