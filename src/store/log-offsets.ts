// Repository of followed logs' read positions (table log_offsets): saved with the counts they cover, in one transaction.
import type { Database, Statement } from 'better-sqlite3';
import type { LogOffset } from '../domain/log-offset.ts';

interface Row {
  source: string;
  identity: string;
  position: string;
  line: number;
}

/** Reads and writes log offsets; `save` belongs inside the transaction that commits the batch's counts. */
export class LogOffsets {
  readonly #get: Statement<[string], Row>;
  readonly #all: Statement<[], Row>;
  readonly #put: Statement<[string, string, string, number, number]>;
  readonly #del: Statement<[string]>;

  constructor(db: Database) {
    this.#get = db.prepare<[string], Row>('SELECT source, identity, position, line FROM log_offsets WHERE source = ?');
    this.#all = db.prepare<[], Row>('SELECT source, identity, position, line FROM log_offsets ORDER BY source');
    this.#put = db.prepare(`INSERT INTO log_offsets (source, identity, position, line, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (source) DO UPDATE SET identity = excluded.identity, position = excluded.position, line = excluded.line,
      updated_at = excluded.updated_at`);
    this.#del = db.prepare('DELETE FROM log_offsets WHERE source = ?');
  }

  /** The stored offset of `source`, if any. */
  get(source: string): LogOffset | undefined {
    const r = this.#get.get(source);
    return r ? { source: r.source, identity: r.identity, position: r.position, line: r.line } : undefined;
  }

  /** Every stored offset, by source. */
  all(): LogOffset[] {
    return this.#all.all().map((r) => ({ source: r.source, identity: r.identity, position: r.position, line: r.line }));
  }

  /** Stores (replaces) the offset; `now` is wall-clock ms for diagnostics. */
  save(o: LogOffset, now: number): void {
    this.#put.run(o.source, o.identity, o.position, o.line, now);
  }

  /** Forgets a source (it is no longer configured). */
  delete(source: string): void {
    this.#del.run(source);
  }
}
