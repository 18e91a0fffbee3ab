// Builds the API's store-side readers and maintenance jobs over one database connection.
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.ts';
import type { ProfileReader } from '../../domain/queries.ts';
import { SqliteBlocklist } from './blocklist.ts';
import { FeedCompactor, SqliteChangeFeed } from './feed.ts';
import { SearchIndexer } from './indexer.ts';
import { ProfileDocs } from './profile-docs.ts';
import type { DocSerializer } from './profile-docs.ts';
import { SqliteSourceQueries } from './sources.ts';
import { SqliteStats } from './stats.ts';

/** The settings the store-side API readers use (seconds, as in the api config section). */
export interface ApiStoreSettings {
  cursorTtl: number;
  feedCompactAfter: number;
  feedTombstoneRetention: number;
  indexBatch: number;
  indexMaxTerms: number;
  /** Keep each profile's response body in the store (api.profileDocs). */
  profileDocs: boolean;
}

/** Readers for the API and the jobs `serve` runs to keep them current. */
export interface ApiStore {
  sources: SqliteSourceQueries;
  feed: SqliteChangeFeed;
  blocklist: SqliteBlocklist;
  stats: SqliteStats;
  indexer: SearchIndexer;
  compactor: FeedCompactor;
  /** Stored response bodies, when a serializer was given and api.profileDocs is on (the writer calls `adopt()`). */
  docs: ProfileDocs | null;
}

/**
 * Wires the API readers over `db`, reading profiles through `reader`. With `serializer` (the API's, see
 * api/profile-body.ts) and `s.profileDocs`, the indexer keeps each profile's response body and GET /sources/{ip} reads it.
 */
export function apiStore(db: Database, reader: ProfileReader, s: ApiStoreSettings, clock: Clock, serializer?: DocSerializer): ApiStore {
  const historyMs = s.cursorTtl * 1000;
  const docs = serializer && s.profileDocs ? new ProfileDocs(db, serializer.shape) : null;
  return {
    docs,
    sources: new SqliteSourceQueries(db, reader, clock, { cursorTtlMs: historyMs, ...(docs ? { docs } : {}) }),
    feed: new SqliteChangeFeed(db),
    blocklist: new SqliteBlocklist(db),
    stats: new SqliteStats(db, clock),
    indexer: new SearchIndexer(db, reader, {
      batch: s.indexBatch, maxTerms: s.indexMaxTerms, historyMs, ...(docs && serializer ? { docs: { store: docs, serializer } } : {}),
    }, clock),
    // blocklist deltas read outbox rows inside the history window: never compact rows a live cursor may still need
    compactor: new FeedCompactor(db, clock, {
      compactAfterMs: Math.max(s.feedCompactAfter, s.cursorTtl) * 1000 + 60_000,
      tombstoneMs: s.feedTombstoneRetention * 1000,
    }),
  };
}

export { BaseProfileReader } from './base-profile.ts';
export { ProfileDocs } from './profile-docs.ts';
export type { DocSerializer } from './profile-docs.ts';
