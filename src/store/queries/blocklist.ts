// Blocklist reads over the versioned search index: the full list at a snapshot, and exact membership deltas between two.
import type { Database, Statement } from 'better-sqlite3';
import type { DangerLevel } from '../../domain/profile.ts';
import type { BlocklistDelta, BlocklistQueries } from '../../domain/queries.ts';
import { ApiMeta } from './meta.ts';

/** SQLite implementation over api_index. */
export class SqliteBlocklist implements BlocklistQueries {
  readonly #db: Database;
  readonly #meta: ApiMeta;
  readonly #page: Statement<[number, number, number, string, number], string>;
  readonly #changed: Statement<[number, number], string>;
  readonly #levelAt: Statement<[string, number, number], number>;

  constructor(db: Database) {
    this.#db = db;
    this.#meta = new ApiMeta(db);
    this.#page = db.prepare<[number, number, number, string, number], string>(
      'SELECT ip FROM api_index WHERE danger_level >= ? AND seq_from <= ? AND seq_to > ? AND ip > ? ORDER BY ip LIMIT ?').pluck();
    this.#changed = db.prepare<[number, number], string>('SELECT DISTINCT ip FROM profile_changes WHERE seq > ? AND seq <= ?').pluck();
    this.#levelAt = db.prepare<[string, number, number], number>(
      'SELECT danger_level FROM api_index WHERE ip = ? AND seq_from <= ? AND seq_to > ? LIMIT 1').pluck();
  }

  snapshot(): number {
    return this.#meta.getNumber('indexed_seq');
  }

  horizon(): number {
    return Math.max(this.#meta.getNumber('history_seq'), this.#meta.getNumber('expired_below'));
  }

  page(minLevel: DangerLevel, seq: number, limit: number, afterIp = ''): string[] {
    return this.#page.all(minLevel, seq, seq, afterIp, limit);
  }

  delta(minLevel: DangerLevel, afterSeq: number, toSeq: number): BlocklistDelta {
    return this.#db.transaction((): BlocklistDelta => {
      const added: string[] = [];
      const removed: string[] = [];
      for (const ip of this.#changed.all(afterSeq, toSeq)) {
        const before = this.#levelAt.get(ip, afterSeq, afterSeq);
        const after = this.#levelAt.get(ip, toSeq, toSeq);
        const was = before !== undefined && before >= minLevel;
        const is = after !== undefined && after >= minLevel;
        if (is && !was) added.push(ip);
        else if (was && !is) removed.push(ip);
      }
      added.sort();
      removed.sort();
      return { added, removed, lastSeq: toSeq, hasMore: false };
    })();
  }
}
