// Stored GET /sources/{ip} bodies: the search indexer writes each profile's serialised answer beside its index row.
import type { Migration } from './index.ts';

/**
 * One row per source: the body the API sends for `version` of the profile, as written by the serializer whose identity
 * is kept in `api_meta.docs_shape`. A row is only used while its version equals the source's (every change bumps it),
 * so a stale row is never served; rows go with their source (pruning) through the foreign key.
 * A rowid table, not WITHOUT ROWID: bodies are kilobytes, and a table leaf holds one without an overflow page.
 */
export const apiProfileDocs: Migration = {
  version: 42,
  name: 'api: stored profile bodies',
  up(db) {
    db.exec(`
      CREATE TABLE api_profile_docs (
        ip       TEXT NOT NULL UNIQUE REFERENCES sources(ip) ON DELETE CASCADE,
        version  INTEGER NOT NULL,                -- sources.version the body was written for
        body     BLOB NOT NULL                    -- the exact UTF-8 response body
      );
    `);
  },
};
