// The persistent, bounded enrichment queue: one row per source, priority by danger then recency, survives kill -9.
import type { Database, Statement } from 'better-sqlite3';
import type { DangerLevel } from '../domain/profile.ts';
import type { EnqueueItem, EnrichQueuePort, EnrichTask } from '../domain/enrichment.ts';
import { parseIp } from '../domain/address.ts';

interface TaskRow {
  ip: string;
  danger: number;
  last_seen: number;
  attempts: number;
  gen: number;
}

/** Queue options. */
export interface QueueOptions {
  /** Rows the queue may hold (enrich.queueSize). */
  maxRows: number;
  /** Sources from this danger level need whois/rDNS (enrich.minDangerLevel): a rise to it re-queues a source. */
  minDangerLevel: number;
}

/** Outcome of an enqueue batch. */
export interface EnqueueResult {
  /** Rows inserted or raised. */
  queued: number;
  /** Rows dropped to stay within maxRows (lowest danger, oldest first). */
  evicted: number;
}

/**
 * The enrichment queue. Ingestion calls `enqueue` in its own batches (cheap upserts, never waiting for enrichment);
 * the worker `claim`s due rows, then `finish`es or `retry`s each. Rows claimed by a process that died are `recover`ed.
 */
export class EnrichQueue implements EnrichQueuePort {
  readonly #db: Database;
  readonly #opts: QueueOptions;
  readonly #ensureSource: Statement<[string, number, number, number, number]>;
  readonly #upsert: Statement<Record<string, number | string>>;
  readonly #count: Statement<[], number>;
  readonly #evict: Statement<[number]>;
  readonly #claim: Statement<[number, number], TaskRow>;
  readonly #finish: Statement<[string, number]>;
  readonly #requeue: Statement<[string]>;
  readonly #retry: Statement<[number, number, string]>;
  readonly #recover: Statement;
  readonly #nextDue: Statement<[], number | null>;
  readonly #geoPending: Statement<[number], TaskRow>;
  readonly #geoDone: Statement<[string]>;

  constructor(db: Database, opts: QueueOptions) {
    this.#db = db;
    this.#opts = opts;
    this.#ensureSource = db.prepare('INSERT OR IGNORE INTO sources (ip, family, first_seen, last_seen, updated_at) VALUES (?, ?, ?, ?, ?)');
    // a source enters (or rises in) the queue when it has never been enriched, or it reached the whois level and whois
    // or rDNS has no answer yet (a skip below the level is none: a rise queues it); a source already queued is only
    // raised, and a running one gets its generation bumped
    this.#upsert = db.prepare(`
      INSERT INTO enrich_queue (ip, danger, last_seen, enqueued_at)
      SELECT @ip, @danger, @lastSeen, @now
      WHERE NOT EXISTS (SELECT 1 FROM enrich_state WHERE ip = @ip AND provider = 'geo')
         OR (@danger >= @min AND (
              NOT EXISTS (SELECT 1 FROM enrich_state WHERE ip = @ip AND provider = 'whois' AND state <> 'pending' AND state <> 'skipped')
           OR NOT EXISTS (SELECT 1 FROM enrich_state WHERE ip = @ip AND provider = 'rdns' AND state <> 'pending' AND state <> 'skipped')))
      ON CONFLICT (ip) DO UPDATE SET
        gen = gen + (excluded.danger > danger),
        danger = max(danger, excluded.danger),
        last_seen = max(last_seen, excluded.last_seen)`);
    this.#count = db.prepare<[], number>('SELECT count(*) FROM enrich_queue').pluck();
    this.#evict = db.prepare(`DELETE FROM enrich_queue WHERE ip IN (
      SELECT ip FROM enrich_queue WHERE state = 'queued' ORDER BY danger ASC, last_seen ASC LIMIT ?)`);
    this.#claim = db.prepare<[number, number], TaskRow>(`UPDATE enrich_queue SET state = 'running' WHERE ip IN (
      SELECT ip FROM enrich_queue WHERE state = 'queued' AND geo_done = 1 AND not_before <= ? ORDER BY danger DESC, last_seen DESC LIMIT ?)
      RETURNING ip, danger, last_seen, attempts, gen`);
    this.#finish = db.prepare(`DELETE FROM enrich_queue WHERE ip = ? AND gen = ?`);
    this.#requeue = db.prepare(`UPDATE enrich_queue SET state = 'queued', not_before = 0 WHERE ip = ? AND state = 'running'`);
    this.#retry = db.prepare(`UPDATE enrich_queue SET state = 'queued', not_before = ?, attempts = ? WHERE ip = ?`);
    this.#recover = db.prepare(`UPDATE enrich_queue SET state = 'queued' WHERE state = 'running'`);
    this.#nextDue = db.prepare<[], number | null>(`SELECT min(not_before) FROM enrich_queue WHERE state = 'queued' AND geo_done = 1`).pluck();
    this.#geoPending = db.prepare<[number], TaskRow>(`SELECT ip, danger, last_seen, attempts, gen FROM enrich_queue WHERE geo_done = 0 LIMIT ?`);
    this.#geoDone = db.prepare(`UPDATE enrich_queue SET geo_done = 1 WHERE ip = ?`);
  }

  /**
   * Queues sources (creating their `sources` rows when missing). Safe to call inside the caller's transaction.
   * When the queue passes maxRows, the lowest-danger, oldest queued rows go.
   */
  enqueue(items: readonly EnqueueItem[], now: number): EnqueueResult {
    let queued = 0;
    const run = (): number => {
      for (const it of items) {
        const p = parseIp(it.ip);
        if (!p) continue;
        this.#ensureSource.run(p.text, p.family, it.lastSeen, it.lastSeen, now);
        queued += this.#upsert.run({ ip: p.text, danger: it.dangerLevel, lastSeen: it.lastSeen, now, min: this.#opts.minDangerLevel }).changes;
      }
      const over = this.#count.get()! - this.#opts.maxRows;
      return over > 0 ? this.#evict.run(over).changes : 0;
    };
    const evicted = this.#db.inTransaction ? run() : this.#db.transaction(run)();
    return { queued, evicted };
  }

  /** Up to `limit` rows not yet geo-enriched (geo is local and fast: every source gets it before any network work). */
  geoPending(limit: number): EnrichTask[] {
    return this.#geoPending.all(limit).map((r) => ({ ip: r.ip, dangerLevel: r.danger as DangerLevel, lastSeen: r.last_seen, attempts: r.attempts, gen: r.gen }));
  }

  /** Marks a row geo-enriched; it stays queued for whois/rDNS. */
  markGeoDone(ip: string): void {
    this.#geoDone.run(ip);
  }

  /** Claims up to `limit` due geo-enriched rows, highest danger and most recent first; they stay 'running' until finished. */
  claim(now: number, limit: number): EnrichTask[] {
    const rows = this.#claim.all(now, limit);
    rows.sort((a, b) => b.danger - a.danger || b.last_seen - a.last_seen);
    return rows.map((r) => ({ ip: r.ip, dangerLevel: r.danger as DangerLevel, lastSeen: r.last_seen, attempts: r.attempts, gen: r.gen }));
  }

  /** Removes a finished row — unless it was re-enqueued with a higher danger meanwhile, then it is queued again. */
  finish(task: EnrichTask): void {
    if (this.#finish.run(task.ip, task.gen).changes === 0) this.#requeue.run(task.ip);
  }

  /** Puts a row back for a later attempt. */
  retry(ip: string, notBefore: number, attempts: number): void {
    this.#retry.run(notBefore, attempts, ip);
  }

  /** At start-up: rows a killed process had claimed are queued again (each is then enriched once). */
  recover(): number {
    return this.#recover.run().changes;
  }

  /** Rows in the queue. */
  size(): number {
    return this.#count.get()!;
  }

  /** Earliest not-before of queued rows (ms), or null when none is queued. */
  nextDue(): number | null {
    return this.#nextDue.get() ?? null;
  }
}
