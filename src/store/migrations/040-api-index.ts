// API read model: a versioned search index of sources (snapshot paging), facet counters for stats, feed state.
import type { randomBytes as RandomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Migration } from './index.ts';

/** seq_to of a row that is still current. */
export const LIVE = Number.MAX_SAFE_INTEGER;

export const apiIndex: Migration = {
  version: 40,
  name: 'api search index, facet counts, feed state',
  up(db) {
    db.exec(`
      -- key/value state of the API side: store epoch (cursor identity), index watermark, feed expiry watermark
      CREATE TABLE api_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

      -- one row per (source, version of its indexed fields); seq_from..seq_to is the outbox range the row is valid in,
      -- so a list paged from a snapshot seq S reads exactly the rows valid at S however the sources change meanwhile
      CREATE TABLE api_index (
        ip            TEXT NOT NULL,
        ip_key        TEXT NOT NULL,           -- 32 hex digits of the 16-byte address (IPv4 mapped): numeric address order
        seq_from      INTEGER NOT NULL,
        seq_to        INTEGER NOT NULL,
        closed_at     INTEGER,                 -- wall ms when superseded; rows closed longer than the cursor TTL are dropped
        version       INTEGER NOT NULL,
        family        INTEGER NOT NULL,
        danger_level  INTEGER NOT NULL,
        first_seen    INTEGER NOT NULL,
        last_seen     INTEGER NOT NULL,
        packets       INTEGER NOT NULL,
        country       TEXT,
        asn           INTEGER,
        summary       TEXT NOT NULL,           -- JSON of the display-only summary fields
        PRIMARY KEY (ip, seq_from)
      ) WITHOUT ROWID;
      CREATE INDEX api_index_last ON api_index (last_seen, ip);
      CREATE INDEX api_index_first ON api_index (first_seen, ip);
      CREATE INDEX api_index_dl ON api_index (danger_level, last_seen, ip);
      CREATE INDEX api_index_packets ON api_index (packets, ip);
      CREATE INDEX api_index_key ON api_index (ip_key);
      CREATE INDEX api_index_ip_live ON api_index (ip, seq_to);
      CREATE INDEX api_index_closed ON api_index (closed_at) WHERE closed_at IS NOT NULL;

      -- multi-valued filter terms ("port:tcp/22", "cc:US", "os:linux", …), versioned like api_index
      CREATE TABLE api_terms (
        term      TEXT NOT NULL,
        ip        TEXT NOT NULL,
        seq_from  INTEGER NOT NULL,
        seq_to    INTEGER NOT NULL,
        closed_at INTEGER,
        PRIMARY KEY (term, ip, seq_from)
      ) WITHOUT ROWID;
      CREATE INDEX api_terms_ip ON api_terms (ip, seq_to);
      CREATE INDEX api_terms_closed ON api_terms (closed_at) WHERE closed_at IS NOT NULL;

      -- sources per facet value, kept by the indexer as it goes so /stats never scans sources
      CREATE TABLE api_counts (
        facet   TEXT NOT NULL,
        value   TEXT NOT NULL,
        sources INTEGER NOT NULL,
        label   TEXT,                          -- display text (AS organisation)
        PRIMARY KEY (facet, value)
      ) WITHOUT ROWID;
      CREATE INDEX api_counts_top ON api_counts (facet, sources);

      -- feed compaction looks up newer changes of the same source
      CREATE INDEX profile_changes_ip_seq ON profile_changes (ip, seq);
    `);
    const put = db.prepare('INSERT INTO api_meta (key, value) VALUES (?, ?)');
    // crypto loaded here, not with the module: every command that opens a store bundles this migration, and loading
    // crypto cost each run ~15 ms though only a new store runs it
    const { randomBytes } = createRequire(import.meta.url)('node:crypto') as { randomBytes: typeof RandomBytes };
    put.run('epoch', randomBytes(6).toString('hex'));
    put.run('indexed_seq', '0');
    put.run('expired_below', '0');
  },
};
