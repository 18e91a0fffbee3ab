// Enrichment schema: the persistent bounded queue, per-provider state per source, the whois netblock cache with its
// full-text index, and per-registry pacing state (cooldowns and daily counts survive restarts).
import type { Migration } from './index.ts';

export const enrichSchema: Migration = {
  version: 20,
  name: 'enrichment queue, provider state, whois cache and search',
  up(db) {
    db.exec(`
      CREATE TABLE enrich_queue (
        ip           TEXT PRIMARY KEY REFERENCES sources (ip) ON DELETE CASCADE,
        danger       INTEGER NOT NULL,           -- priority: danger level first …
        last_seen    INTEGER NOT NULL,           -- … then recency (event ms)
        enqueued_at  INTEGER NOT NULL,           -- wall-clock ms
        not_before   INTEGER NOT NULL DEFAULT 0, -- backoff / registry cooldown
        attempts     INTEGER NOT NULL DEFAULT 0,
        state        TEXT NOT NULL DEFAULT 'queued', -- 'queued' | 'running' (reset to queued at start-up)
        gen          INTEGER NOT NULL DEFAULT 1,  -- bumped when a re-enqueue raises the danger level while running
        geo_done     INTEGER NOT NULL DEFAULT 0   -- geo/ASN written; the row waits only for whois/rDNS
      ) WITHOUT ROWID;
      CREATE INDEX enrich_queue_pick ON enrich_queue (state, danger DESC, last_seen DESC) WHERE geo_done = 1;
      CREATE INDEX enrich_queue_geo ON enrich_queue (ip) WHERE geo_done = 0;
      CREATE INDEX enrich_queue_evict ON enrich_queue (danger, last_seen);

      CREATE TABLE enrich_state (
        ip           TEXT NOT NULL REFERENCES sources (ip) ON DELETE CASCADE,
        provider     TEXT NOT NULL,              -- 'geo' | 'asn' | 'whois' | 'rdns'
        state        TEXT NOT NULL,              -- pending | done | failed | skipped | disabled
        reason       TEXT,
        fetched_at   INTEGER,
        source       TEXT,                       -- database or server
        build        TEXT,                       -- database build (ISO)
        data         TEXT,                       -- JSON GeoInfo / AsInfo / RdnsInfo
        block_id     INTEGER,                    -- whois_blocks.id
        checked_key  TEXT,                       -- geo databases identity last checked against
        expires_at   INTEGER,                    -- whois refresh / rDNS TTL
        PRIMARY KEY (ip, provider)
      ) WITHOUT ROWID;
      CREATE INDEX enrich_state_block ON enrich_state (block_id) WHERE block_id IS NOT NULL;
      CREATE INDEX enrich_state_expiry ON enrich_state (provider, expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE whois_blocks (
        id          INTEGER PRIMARY KEY,
        family      INTEGER NOT NULL,
        first       BLOB NOT NULL,               -- 16 bytes (IPv4 as ::ffff:a.b.c.d) so ranges compare bytewise
        last        BLOB NOT NULL,
        first_text  TEXT NOT NULL,
        last_text   TEXT NOT NULL,
        registry    TEXT,
        server      TEXT,
        info        TEXT NOT NULL,               -- JSON WhoisInfo without raw
        raw         TEXT NOT NULL,
        fetched_at  INTEGER NOT NULL
      );
      CREATE INDEX whois_blocks_range ON whois_blocks (first, last);
      CREATE INDEX whois_blocks_age ON whois_blocks (fetched_at);

      -- trigram tokens give substring, case-insensitive matching: the psad user's egrep -i "bank|gov" over whois files
      CREATE VIRTUAL TABLE whois_fts USING fts5 (raw, content = 'whois_blocks', content_rowid = 'id', tokenize = 'trigram');
      CREATE TRIGGER whois_blocks_ai AFTER INSERT ON whois_blocks BEGIN
        INSERT INTO whois_fts (rowid, raw) VALUES (new.id, new.raw);
      END;
      CREATE TRIGGER whois_blocks_ad AFTER DELETE ON whois_blocks BEGIN
        INSERT INTO whois_fts (whois_fts, rowid, raw) VALUES ('delete', old.id, old.raw);
      END;

      CREATE TABLE whois_registry (
        registry        TEXT PRIMARY KEY,
        cooldown_until  INTEGER NOT NULL DEFAULT 0,
        day             TEXT NOT NULL DEFAULT '',
        day_count       INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT
      ) WITHOUT ROWID;
    `);
  },
};
