// Detection schema: per-source scan state, per-destination pairs (psad's %scan windows plus cumulative detail), port
// counters, signature hits, danger-level history, engine state and input-wide counters.
import type { Migration } from './index.ts';

export const detectSchema: Migration = {
  version: 2,
  name: 'detect scan state',
  up(db) {
    db.exec(`
      CREATE TABLE detect_sources (
        ip              TEXT PRIMARY KEY REFERENCES sources(ip) ON DELETE CASCADE,
        interval        INTEGER NOT NULL,        -- check interval the source was last touched in
        cur_sig_dl      INTEGER NOT NULL DEFAULT 0, -- signature level of that interval (psad %curr_sigs_dl)
        cur_sid_dl      INTEGER NOT NULL DEFAULT 0, -- fwsnort SID level of that interval (psad %curr_sids_dl)
        saw_tcp_options INTEGER NOT NULL DEFAULT 0,
        dst_count       INTEGER NOT NULL,        -- destinations ever seen
        sig_count       INTEGER NOT NULL,        -- signature hits
        protocols       TEXT NOT NULL,           -- JSON {proto: packets}
        chains          TEXT NOT NULL,           -- JSON {chain: packets}
        interfaces      TEXT NOT NULL,           -- JSON {interface: packets}
        sensors         TEXT NOT NULL,           -- JSON {syslog host: packets}
        prefixes        TEXT NOT NULL,           -- JSON {log prefix: packets}
        tags            TEXT NOT NULL,           -- JSON [tag]
        scan_types      TEXT NOT NULL,           -- JSON [label] over all destinations
        mirai           TEXT NOT NULL            -- JSON {dst: SYNs to tcp/23}
      ) WITHOUT ROWID;
      CREATE INDEX detect_sources_interval ON detect_sources (interval);

      CREATE TABLE detect_pairs (
        src           TEXT NOT NULL REFERENCES sources(ip) ON DELETE CASCADE,
        dst           TEXT NOT NULL,
        live          INTEGER NOT NULL,          -- window open (psad's $scan{src}{dst} exists)
        start         INTEGER NOT NULL,          -- psad s_time, event ms
        absnum        INTEGER NOT NULL,          -- packets in the window
        tot_protocols INTEGER NOT NULL,
        packets       INTEGER NOT NULL,          -- packets ever
        first_seen    INTEGER NOT NULL,
        last_seen     INTEGER NOT NULL,
        interval      INTEGER NOT NULL,
        win           TEXT NOT NULL,             -- JSON window detail: slots, wprotos, wranges
        detail        TEXT NOT NULL,             -- JSON: ranges, chains, flags, prefixes, sigs, icmpInvalid, labels, …
        PRIMARY KEY (src, dst)
      ) WITHOUT ROWID;
      CREATE INDEX detect_pairs_dst ON detect_pairs (dst);
      CREATE INDEX detect_pairs_live_start ON detect_pairs (start) WHERE live = 1;
      CREATE INDEX detect_pairs_live_last ON detect_pairs (last_seen) WHERE live = 1;

      CREATE TABLE detect_ports (
        src     TEXT NOT NULL REFERENCES sources(ip) ON DELETE CASCADE,
        proto   TEXT NOT NULL,
        port    INTEGER NOT NULL,
        packets INTEGER NOT NULL,
        PRIMARY KEY (src, proto, port)
      ) WITHOUT ROWID;
      CREATE INDEX detect_ports_port ON detect_ports (proto, port);

      CREATE TABLE detect_sig_hits (
        src        TEXT NOT NULL REFERENCES sources(ip) ON DELETE CASCADE,
        sid        INTEGER NOT NULL,
        msg        TEXT NOT NULL,
        dl         INTEGER NOT NULL,
        proto      TEXT NOT NULL,
        count      INTEGER NOT NULL,
        dports     TEXT NOT NULL,                -- JSON [port]
        fwsnort    INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL,
        PRIMARY KEY (src, sid)
      ) WITHOUT ROWID;
      CREATE INDEX detect_sig_hits_sid ON detect_sig_hits (sid);

      CREATE TABLE detect_dl_history (
        src    TEXT NOT NULL REFERENCES sources(ip) ON DELETE CASCADE,
        seq    INTEGER NOT NULL,
        time   INTEGER NOT NULL,                 -- event ms
        level  INTEGER NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (src, seq)
      ) WITHOUT ROWID;
      CREATE INDEX detect_dl_history_time ON detect_dl_history (time);

      -- engine state that outlives the process (interval, psad's global bits), saved with the log offsets
      CREATE TABLE detect_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;

      -- input-wide counters for status: kind 'proto' | 'prefix' | 'outcome' | 'sig', key, count
      CREATE TABLE detect_counters (
        kind  TEXT NOT NULL,
        key   TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
      ) WITHOUT ROWID;
    `);
  },
};
