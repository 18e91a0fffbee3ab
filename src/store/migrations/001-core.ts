// Core schema: one row per source (the profile's anchor and filter columns) and the change outbox the SIEM feed reads.
import type { Migration } from './index.ts';

export const core: Migration = {
  version: 1,
  name: 'core sources and change outbox',
  up(db) {
    db.exec(`
      CREATE TABLE sources (
        ip            TEXT PRIMARY KEY,          -- canonical text (RFC 5952 for IPv6)
        family        INTEGER NOT NULL,          -- 4 or 6
        first_seen    INTEGER NOT NULL,          -- event time, ms
        last_seen     INTEGER NOT NULL,          -- event time, ms
        packets       INTEGER NOT NULL DEFAULT 0,
        danger_level  INTEGER NOT NULL DEFAULT 0,
        version       INTEGER NOT NULL DEFAULT 1, -- bumped on every change to any part of the profile (ETag, feed event id)
        updated_at    INTEGER NOT NULL            -- wall-clock ms of the last change
      ) WITHOUT ROWID;
      CREATE INDEX sources_dl_last ON sources (danger_level, last_seen);
      CREATE INDEX sources_last ON sources (last_seen);

      -- single-writer outbox: seq is assigned inside the writing transaction, so readers never see a gap fill in later
      CREATE TABLE profile_changes (
        seq      INTEGER PRIMARY KEY AUTOINCREMENT,
        ip       TEXT NOT NULL,
        version  INTEGER NOT NULL,
        kind     TEXT NOT NULL,                  -- 'detect', 'os', 'enrich', 'response', …
        time     INTEGER NOT NULL                -- wall-clock ms
      );
      CREATE INDEX profile_changes_ip ON profile_changes (ip);

      -- read positions of followed logs, saved in the same transaction as the counts they cover
      CREATE TABLE log_offsets (
        source    TEXT PRIMARY KEY,              -- file path, 'journal', 'syslog:udp://…'
        identity  TEXT NOT NULL,                 -- inode+device for files, cursor kind for journald
        position  TEXT NOT NULL,                 -- byte offset, or journald cursor
        line      INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `);
  },
};
