// Repository of active blocks; every change bumps the source's profile version (ChangeLog 'response') in its transaction.
import type { Database, Statement } from 'better-sqlite3';
import { toDangerLevel } from '../domain/profile.ts';
import type { BlockOrigin, BlockRecord, BlockRepository } from '../domain/response.ts';
import { ChangeLog } from './changes.ts';

interface Row {
  ip: string;
  family: number;
  created_at: number;
  expires_at: number | null;
  level: number;
  origin: string;
  reason: string;
}

function toRecord(r: Row): BlockRecord {
  return {
    ip: r.ip, family: r.family === 6 ? 6 : 4, createdAt: r.created_at, expiresAt: r.expires_at,
    level: toDangerLevel(r.level), origin: r.origin as BlockOrigin, reason: r.reason,
  };
}

/** Active blocks in SQLite: the CLI, the API and `serve` all write here, and the reconcile loop applies it. */
export class SqliteBlocks implements BlockRepository {
  readonly #db: Database;
  readonly #changes: ChangeLog;
  readonly #upsert: Statement;
  readonly #delete: Statement<[string]>;
  readonly #get: Statement<[string], Row>;
  readonly #list: Statement<[], Row>;

  constructor(db: Database) {
    this.#db = db;
    this.#changes = new ChangeLog(db);
    this.#upsert = db.prepare(`INSERT INTO blocks (ip, family, created_at, expires_at, level, origin, reason, updated_at)
      VALUES (@ip, @family, @createdAt, @expiresAt, @level, @origin, @reason, @now)
      ON CONFLICT (ip) DO UPDATE SET expires_at = excluded.expires_at, level = excluded.level, origin = excluded.origin,
        reason = excluded.reason, updated_at = excluded.updated_at`);
    this.#delete = db.prepare('DELETE FROM blocks WHERE ip = ?');
    this.#get = db.prepare<[string], Row>('SELECT * FROM blocks WHERE ip = ?');
    this.#list = db.prepare<[], Row>('SELECT * FROM blocks ORDER BY expires_at IS NULL, expires_at, ip');
  }

  upsert(rec: BlockRecord, now: number): void {
    this.#db.transaction(() => {
      this.#upsert.run({ ...rec, now });
      this.#changes.touch(rec.ip, 'response', now);
    })();
  }

  remove(ip: string, now: number): boolean {
    return this.#db.transaction(() => {
      const gone = this.#delete.run(ip).changes > 0;
      if (gone) this.#changes.touch(ip, 'response', now);
      return gone;
    })();
  }

  get(ip: string): BlockRecord | null {
    const r = this.#get.get(ip);
    return r ? toRecord(r) : null;
  }

  list(): BlockRecord[] {
    return this.#list.all().map(toRecord);
  }
}
