// Sharing the store between `serve` and `probewatch ingest`: who holds the detection state (leases), and the batches
// an ingest hands over to a running serve (inbox).
import type { Migration } from './index.ts';

export const ingestInbox: Migration = {
  version: 8,
  name: 'store leases and ingest inbox',
  up(db) {
    db.exec(`
      CREATE TABLE store_leases (
        holder       TEXT PRIMARY KEY,   -- 'serve', or 'ingest:<host>:<pid>' for an ingest running detection itself
        pid          INTEGER NOT NULL,
        host         TEXT NOT NULL,
        started_at   INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL    -- wall clock ms of the last renewal
      ) WITHOUT ROWID;

      CREATE TABLE ingest_inbox (
        id       INTEGER PRIMARY KEY,    -- consumption order
        job      TEXT NOT NULL,          -- the ingest run that wrote it (it waits for its own rows)
        source   TEXT NOT NULL,          -- the file the lines came from
        format   INTEGER NOT NULL,       -- payload encoding version
        lines    INTEGER NOT NULL,
        payload  TEXT NOT NULL,          -- the parsed batch (JSON)
        added_at INTEGER NOT NULL
      );
      CREATE INDEX ingest_inbox_job ON ingest_inbox (job);
    `);
  },
};
