// The SIEM change feed over the profile_changes outbox: pages of changed sources by sequence, and the outbox's compaction.
import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.ts';
import type { ChangeFeed, FeedEntry, FeedPage, FeedPosition } from '../../domain/queries.ts';
import { ApiMeta } from './meta.ts';

interface ChangeRow {
  seq: number;
  ip: string;
  kind: string;
  time: number;
}

/** Rows scanned per requested entry at most: one busy source can own many consecutive outbox rows. */
const SCAN_FACTOR = 8;

/** SQLite implementation of ChangeFeed. */
export class SqliteChangeFeed implements ChangeFeed {
  readonly #db: Database;
  readonly #meta: ApiMeta;
  readonly #rows: Statement<[number, number], ChangeRow>;
  readonly #version: Statement<[string], number>;
  readonly #any: Statement<[number], number>;
  readonly #latest: Statement<[], number>;
  readonly #firstAt: Statement<[number], { seq: number; time: number }>;
  readonly #minSeq: Statement<[], number | null>;

  constructor(db: Database) {
    this.#db = db;
    this.#meta = new ApiMeta(db);
    this.#rows = db.prepare<[number, number], ChangeRow>('SELECT seq, ip, kind, time FROM profile_changes WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#version = db.prepare<[string], number>('SELECT version FROM sources WHERE ip = ?').pluck();
    this.#any = db.prepare<[number], number>('SELECT 1 FROM profile_changes WHERE seq > ? LIMIT 1').pluck();
    this.#latest = db.prepare<[], number>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'profile_changes'), 0)").pluck();
    this.#firstAt = db.prepare<[number], { seq: number; time: number }>('SELECT seq, time FROM profile_changes WHERE seq >= ? ORDER BY seq LIMIT 1');
    this.#minSeq = db.prepare<[], number | null>('SELECT min(seq) FROM profile_changes').pluck();
  }

  position(): FeedPosition {
    return {
      epoch: this.#meta.get('epoch'),
      latestSeq: this.#latest.get()!,
      expiredBelow: this.#meta.getNumber('expired_below'),
    };
  }

  read(afterSeq: number, limit: number): FeedPage {
    return this.#db.transaction((): FeedPage => {
      const rows = this.#rows.all(afterSeq, limit * SCAN_FACTOR);
      const byIp = new Map<string, { seq: number; kinds: Set<string>; time: number }>();
      let lastSeq = afterSeq;
      let stopped = false;
      for (const r of rows) {
        let e = byIp.get(r.ip);
        if (!e) {
          if (byIp.size === limit) { stopped = true; break; }
          e = { seq: r.seq, kinds: new Set(), time: r.time };
          byIp.set(r.ip, e);
        }
        e.seq = r.seq;
        e.time = Math.max(e.time, r.time);
        e.kinds.add(r.kind);
        lastSeq = r.seq;
      }
      const entries: FeedEntry[] = [];
      for (const [ip, e] of byIp) {
        const version = this.#version.get(ip);
        entries.push({ seq: e.seq, ip, version: version ?? 0, kinds: [...e.kinds].sort(), time: e.time, deleted: version === undefined });
      }
      entries.sort((a, b) => a.seq - b.seq);
      const hasMore = stopped || this.#any.get(lastSeq) !== undefined;
      return { entries, lastSeq, hasMore };
    })();
  }

  seqBefore(timeMs: number): number {
    // seq grows with the writers' wall clock, so the first change at or after a time is found by bisection on seq
    const min = this.#minSeq.get();
    if (min === null || min === undefined) return this.#latest.get()!;
    let lo = min;
    let hi = this.#latest.get()! + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const r = this.#firstAt.get(mid);
      if (!r || r.time >= timeMs) hi = mid;
      else lo = r.seq + 1;
    }
    const first = this.#firstAt.get(lo);
    return first ? first.seq - 1 : this.#latest.get()!;
  }
}

/** Compaction settings. */
export interface CompactOptions {
  /** Rows older than this (ms) are dropped when a newer change of the same source exists. */
  compactAfterMs: number;
  /** Last rows of deleted sources are kept this long (ms), then dropped (cursors below them expire). */
  tombstoneMs: number;
}

/**
 * Compacts the outbox in bounded steps, walking it in sequence order and wrapping around: a source keeps its newest
 * row forever (a poller starting from 0 still sees every source), older rows go after `compactAfterMs`. A source that
 * disappeared from `sources` without a recorded change gets a "delete" row so the feed, index and blocklist learn it.
 */
export class FeedCompactor {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #opts: CompactOptions;
  readonly #meta: ApiMeta;
  readonly #walk: Statement<[number, number], ChangeRow>;
  readonly #newer: Statement<[string, number], number>;
  readonly #exists: Statement<[string], number>;
  readonly #del: Statement<[number]>;
  readonly #tomb: Statement<[string, number]>;

  constructor(db: Database, clock: Clock, opts: CompactOptions) {
    this.#db = db;
    this.#clock = clock;
    this.#opts = opts;
    this.#meta = new ApiMeta(db);
    this.#walk = db.prepare<[number, number], ChangeRow>('SELECT seq, ip, kind, time FROM profile_changes WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#newer = db.prepare<[string, number], number>('SELECT 1 FROM profile_changes WHERE ip = ? AND seq > ? LIMIT 1').pluck();
    this.#exists = db.prepare<[string], number>('SELECT 1 FROM sources WHERE ip = ?').pluck();
    this.#del = db.prepare('DELETE FROM profile_changes WHERE seq = ?');
    this.#tomb = db.prepare("INSERT INTO profile_changes (ip, version, kind, time) VALUES (?, 0, 'delete', ?)");
  }

  /** Examines the next `chunk` rows; returns how many were dropped and how many deletions were recorded. */
  step(chunk = 5000): { dropped: number; deletions: number; wrapped: boolean } {
    return this.#db.transaction(() => {
      const now = this.#clock.now();
      const from = this.#meta.getNumber('compact_seq');
      const rows = this.#walk.all(from, chunk);
      let dropped = 0;
      let deletions = 0;
      let expired = this.#meta.getNumber('expired_below');
      let pos = from;
      for (const r of rows) {
        const age = now - r.time;
        pos = r.seq;
        const newer = this.#newer.get(r.ip, r.seq) !== undefined;
        if (newer) {
          if (age > this.#opts.compactAfterMs) { this.#del.run(r.seq); dropped++; }
          continue;
        }
        if (this.#exists.get(r.ip) !== undefined) continue;
        if (r.kind !== 'delete') {
          // the source was pruned without a change record: record its deletion now
          this.#tomb.run(r.ip, now);
          deletions++;
          if (age > this.#opts.compactAfterMs) { this.#del.run(r.seq); dropped++; }
        } else if (age > this.#opts.tombstoneMs) {
          this.#del.run(r.seq);
          dropped++;
          expired = Math.max(expired, r.seq);
        }
      }
      const wrapped = rows.length < chunk;
      this.#meta.set('compact_seq', String(wrapped ? 0 : pos));
      if (expired > this.#meta.getNumber('expired_below')) this.#meta.set('expired_below', String(expired));
      return { dropped, deletions, wrapped };
    }).immediate();
  }
}
