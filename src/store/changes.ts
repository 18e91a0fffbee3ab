// The profile change outbox: every writer that changes any part of a source's profile records it here, in its transaction.
import type { Database, Statement } from 'better-sqlite3';

/** What part of the profile changed. */
export type ChangeKind = 'detect' | 'os' | 'enrich' | 'response';

/**
 * Records profile changes. Call `touch` inside the transaction that changed the source; it bumps `sources.version`
 * (the ETag and the feed's event id) and appends one outbox row. The source row must exist.
 */
export class ChangeLog {
  readonly #bump: Statement<[number, string]>;
  readonly #version: Statement<[string], number>;
  readonly #append: Statement<[string, number, string, number]>;

  constructor(db: Database) {
    this.#bump = db.prepare('UPDATE sources SET version = version + 1, updated_at = ? WHERE ip = ?');
    this.#version = db.prepare<[string], number>('SELECT version FROM sources WHERE ip = ?').pluck();
    this.#append = db.prepare('INSERT INTO profile_changes (ip, version, kind, time) VALUES (?, ?, ?, ?)');
  }

  /** Bumps the version of `ip` and appends a change; returns the new version, or null when the source does not exist. */
  touch(ip: string, kind: ChangeKind, now: number): number | null {
    if (this.#bump.run(now, ip).changes === 0) return null;
    const v = this.#version.get(ip) ?? 0;
    this.#append.run(ip, v, kind, now);
    return v;
  }
}
