// Dashboard rollups: per-hour and per-day counters kept as profiles change, so the dashboard never scans sources.
import type { Migration } from './index.ts';

export const dashboardRollups: Migration = {
  version: 50,
  name: 'dashboard rollups',
  up(db) {
    db.exec(`
      -- follower position in the outbox, backfill cursor, compaction marks
      CREATE TABLE ui_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

      -- what the rollups last counted of each source: the base its next change is diffed against
      CREATE TABLE ui_state (
        ip        TEXT PRIMARY KEY,
        packets   INTEGER NOT NULL,
        level     INTEGER NOT NULL,
        last_hour INTEGER NOT NULL,            -- hour bucket of its last packet
        country   TEXT NOT NULL,               -- alpha-2 upper case, '' unknown
        pending   INTEGER NOT NULL,            -- 1 while an enrichment provider is pending
        ports     TEXT NOT NULL,               -- JSON {"tcp/22": packets}
        protos    TEXT NOT NULL                -- JSON {"tcp": packets}
      ) WITHOUT ROWID;

      -- current totals: 'sources', 'pending', 'level:0' … 'level:5'
      CREATE TABLE ui_totals (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;

      -- one row per hour: flows (new sources, packets, rises to DL 4+, removals) and net changes of the level and
      -- backlog counts, so the value of a count at any past hour is the current value minus the nets after it
      CREATE TABLE ui_hours (
        hour        INTEGER PRIMARY KEY,
        new_sources INTEGER NOT NULL DEFAULT 0,
        packets     INTEGER NOT NULL DEFAULT 0,
        dl4         INTEGER NOT NULL DEFAULT 0,
        removed     INTEGER NOT NULL DEFAULT 0,
        lv0 INTEGER NOT NULL DEFAULT 0, lv1 INTEGER NOT NULL DEFAULT 0, lv2 INTEGER NOT NULL DEFAULT 0,
        lv3 INTEGER NOT NULL DEFAULT 0, lv4 INTEGER NOT NULL DEFAULT 0, lv5 INTEGER NOT NULL DEFAULT 0,
        pending     INTEGER NOT NULL DEFAULT 0
      );

      -- distinct active sources: HyperLogLog sketches per hour and per UTC day (merged over a window)
      CREATE TABLE ui_active_hours (hour INTEGER PRIMARY KEY, sketch BLOB NOT NULL);
      CREATE TABLE ui_active_days (day INTEGER PRIMARY KEY, sketch BLOB NOT NULL);

      -- packets per destination port ("tcp/22"; "other" past the per-bucket cap) and per protocol
      CREATE TABLE ui_port_hours (hour INTEGER NOT NULL, port TEXT NOT NULL, packets INTEGER NOT NULL, PRIMARY KEY (hour, port)) WITHOUT ROWID;
      CREATE TABLE ui_port_days (day INTEGER NOT NULL, port TEXT NOT NULL, packets INTEGER NOT NULL, PRIMARY KEY (day, port)) WITHOUT ROWID;
      CREATE TABLE ui_proto_hours (hour INTEGER NOT NULL, proto TEXT NOT NULL, packets INTEGER NOT NULL, PRIMARY KEY (hour, proto)) WITHOUT ROWID;

      -- histogram of sources by (country, hour of last packet): sources seen since T = sum of buckets from T on
      CREATE TABLE ui_seen_hours (hour INTEGER NOT NULL, country TEXT NOT NULL, sources INTEGER NOT NULL, PRIMARY KEY (hour, country)) WITHOUT ROWID;
      CREATE TABLE ui_seen_days (day INTEGER NOT NULL, country TEXT NOT NULL, sources INTEGER NOT NULL, PRIMARY KEY (day, country)) WITHOUT ROWID;

      -- per-source packets per hour (source page)
      CREATE TABLE ui_source_hours (ip TEXT NOT NULL, hour INTEGER NOT NULL, packets INTEGER NOT NULL, PRIMARY KEY (ip, hour)) WITHOUT ROWID;
      CREATE INDEX ui_source_hours_hour ON ui_source_hours (hour);

      -- danger-level changes (live strip, and the step chart when the profile carries no history)
      CREATE TABLE ui_level_changes (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        time   INTEGER NOT NULL,               -- event time the level was reached, ms
        ip     TEXT NOT NULL,
        from_level INTEGER NOT NULL,
        to_level   INTEGER NOT NULL
      );
      CREATE INDEX ui_level_changes_ip ON ui_level_changes (ip, id);
      CREATE INDEX ui_level_changes_time ON ui_level_changes (time);
    `);
    // a store that already holds sources when this migration runs is counted by a one-time walk of sources
    const latest = db.prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'profile_changes'), 0)").pluck().get() as number;
    const any = db.prepare('SELECT 1 FROM sources LIMIT 1').pluck().get() !== undefined;
    const put = db.prepare('INSERT INTO ui_meta (key, value) VALUES (?, ?)');
    put.run('seq', String(latest));
    put.run('backfill', any ? '' : 'done');
  },
};
