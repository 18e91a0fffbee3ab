// The ingest inbox: batches `probewatch ingest` hands over to a running serve, consumed in id order and deleted in the
// transaction that commits their counts (so each is counted exactly once, whoever consumes it and whoever dies).
import type { Database, Statement } from 'better-sqlite3';

/** One handed-over batch. */
export interface InboxRow {
  /** Consumption order. */
  id: number;
  /** The ingest run that wrote it. */
  job: string;
  /** The file its lines came from. */
  source: string;
  /** Payload encoding version. */
  format: number;
  /** Lines in the batch. */
  lines: number;
  /** The encoded batch. */
  payload: string;
}

/** Reads and writes the inbox; callers wrap consumption in their own transaction. */
export class IngestInbox {
  readonly #add: Statement;
  readonly #next: Statement<[number, number], InboxRow>;
  readonly #nextOf: Statement<[string, number], InboxRow>;
  readonly #del: Statement<[number]>;
  readonly #count: Statement<[], number>;
  readonly #countOf: Statement<[string], { rows: number; lines: number | null }>;

  constructor(db: Database) {
    this.#add = db.prepare('INSERT INTO ingest_inbox (job, source, format, lines, payload, added_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#next = db.prepare<[number, number], InboxRow>('SELECT id, job, source, format, lines, payload FROM ingest_inbox WHERE id > ? ORDER BY id LIMIT ?');
    this.#nextOf = db.prepare<[string, number], InboxRow>('SELECT id, job, source, format, lines, payload FROM ingest_inbox WHERE job = ? AND id > ? ORDER BY id LIMIT 1');
    this.#del = db.prepare<[number]>('DELETE FROM ingest_inbox WHERE id = ?');
    this.#count = db.prepare<[], number>('SELECT count(*) FROM ingest_inbox').pluck();
    this.#countOf = db.prepare<[string], { rows: number; lines: number | null }>('SELECT count(*) AS rows, sum(lines) AS lines FROM ingest_inbox WHERE job = ?');
  }

  /** Appends one batch. */
  add(row: Omit<InboxRow, 'id'>, now: number): void {
    this.#add.run(row.job, row.source, row.format, row.lines, row.payload, now);
  }

  /** Up to `limit` rows after id `after`, oldest first. */
  next(after: number, limit: number): InboxRow[] {
    return this.#next.all(after, limit);
  }

  /** The oldest row of `job` after id `after`. */
  nextOf(job: string, after = 0): InboxRow | undefined {
    return this.#nextOf.get(job, after);
  }

  /** Deletes a consumed row; false when it was already gone (consumed by another process). */
  consume(id: number): boolean {
    return this.#del.run(id).changes > 0;
  }

  /** Rows waiting. */
  size(): number {
    return this.#count.get() ?? 0;
  }

  /** Rows and lines `job` still has waiting. */
  pendingOf(job: string): { rows: number; lines: number } {
    const r = this.#countOf.get(job);
    return { rows: r?.rows ?? 0, lines: r?.lines ?? 0 };
  }
}
