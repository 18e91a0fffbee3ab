// Builds the API's store-side readers and maintenance jobs over one database connection.
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.ts';
import type { ProfileReader } from '../../domain/queries.ts';
import { SqliteBlocklist } from './blocklist.ts';
import { FeedCompactor, SqliteChangeFeed } from './feed.ts';
import { SearchIndexer } from './indexer.ts';
import { SqliteSourceQueries } from './sources.ts';
import { SqliteStats } from './stats.ts';

/** The settings the store-side API readers use (seconds, as in the api config section). */
export interface ApiStoreSettings {
  cursorTtl: number;
  feedCompactAfter: number;
  feedTombstoneRetention: number;
  indexBatch: number;
  indexMaxTerms: number;
}

/** Readers for the API and the jobs `serve` runs to keep them current. */
export interface ApiStore {
  sources: SqliteSourceQueries;
  feed: SqliteChangeFeed;
  blocklist: SqliteBlocklist;
  stats: SqliteStats;
  indexer: SearchIndexer;
  compactor: FeedCompactor;
}

/** Wires the API readers over `db`, reading profiles through `reader`. */
export function apiStore(db: Database, reader: ProfileReader, s: ApiStoreSettings, clock: Clock): ApiStore {
  const historyMs = s.cursorTtl * 1000;
  return {
    sources: new SqliteSourceQueries(db, reader, clock, { cursorTtlMs: historyMs }),
    feed: new SqliteChangeFeed(db),
    blocklist: new SqliteBlocklist(db),
    stats: new SqliteStats(db, clock),
    indexer: new SearchIndexer(db, reader, { batch: s.indexBatch, maxTerms: s.indexMaxTerms, historyMs }, clock),
    // blocklist deltas read outbox rows inside the history window: never compact rows a live cursor may still need
    compactor: new FeedCompactor(db, clock, {
      compactAfterMs: Math.max(s.feedCompactAfter, s.cursorTtl) * 1000 + 60_000,
      tombstoneMs: s.feedTombstoneRetention * 1000,
    }),
  };
}

export { BaseProfileReader } from './base-profile.ts';
