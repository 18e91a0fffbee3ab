// Response schema: active blocks (the source of truth the firewall is reconciled to), response history, alert counters.
import type { Migration } from './index.ts';

export const response: Migration = {
  version: 30,
  name: 'response blocks, history and alert state',
  up(db) {
    db.exec(`
      CREATE TABLE blocks (
        ip          TEXT PRIMARY KEY,            -- canonical address
        family      INTEGER NOT NULL,            -- 4 or 6
        created_at  INTEGER NOT NULL,            -- wall-clock ms
        expires_at  INTEGER,                     -- wall-clock ms; NULL = permanent
        level       INTEGER NOT NULL,            -- danger level that caused it (0 = manual)
        origin      TEXT NOT NULL,               -- auto, cli, api, restore
        reason      TEXT NOT NULL,
        updated_at  INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX blocks_expiry ON blocks (expires_at);

      CREATE TABLE response_log (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        ip       TEXT NOT NULL,
        time     INTEGER NOT NULL,               -- wall-clock ms
        kind     TEXT NOT NULL,                  -- alert, script, block, unblock, expire, refuse, reapply, limit
        channel  TEXT NOT NULL,                  -- syslog, email, webhook, script, nftables, …
        ok       INTEGER NOT NULL,
        level    INTEGER NOT NULL,
        detail   TEXT NOT NULL                   -- JSON
      );
      CREATE INDEX response_log_ip ON response_log (ip, id);
      CREATE INDEX response_log_time ON response_log (time);

      -- psad's email_ctr / stop_email / scan_ext_exec, kept across restarts
      CREATE TABLE response_state (
        ip          TEXT PRIMARY KEY,
        state       TEXT NOT NULL,               -- JSON (respond/policy.ts SourceState)
        updated_at  INTEGER NOT NULL
      ) WITHOUT ROWID;
    `);
  },
};
