// Retention: deletes sources not seen for the configured time (their rows in every area cascade) in bounded steps, and
// gives the freed pages back to the file system with an incremental vacuum.
import type { Database, Statement } from 'better-sqlite3';

/** What one pruning run did. */
export interface PruneResult {
  /** Sources deleted. */
  sources: number;
  /** Pages returned to the file system. */
  freedPages: number;
}

/** Prunes sources whose last packet is older than a cutoff. */
export class Retention {
  readonly #db: Database;
  readonly #pick: Statement<[number, number], string>;
  readonly #del: Statement<[string]>;

  constructor(db: Database) {
    this.#db = db;
    this.#pick = db.prepare<[number, number], string>('SELECT ip FROM sources WHERE last_seen < ? LIMIT ?').pluck();
    this.#del = db.prepare<[string]>('DELETE FROM sources WHERE ip = ?');
  }

  /**
   * Deletes up to `max` sources last seen before `cutoff` (ms), `step` per transaction so a writer never waits long,
   * then runs an incremental vacuum of at most `vacuumPages` pages.
   */
  prune(cutoff: number, opts: { max?: number; step?: number; vacuumPages?: number } = {}): PruneResult {
    const max = opts.max ?? 1_000_000;
    const step = opts.step ?? 1000;
    let sources = 0;
    while (sources < max) {
      const ips = this.#pick.all(cutoff, Math.min(step, max - sources));
      if (ips.length === 0) break;
      this.#db.transaction(() => {
        for (const ip of ips) this.#del.run(ip);
      })();
      sources += ips.length;
    }
    const before = this.#db.pragma('freelist_count', { simple: true }) as number;
    this.#db.pragma(`incremental_vacuum(${Math.max(0, Math.floor(opts.vacuumPages ?? 10_000))})`);
    const after = this.#db.pragma('freelist_count', { simple: true }) as number;
    return { sources, freedPages: Math.max(0, before - after) };
  }
}
