// Fingerprinting schema: every OS / tool guess per source (one row per distinct guess, with counts) and tool tags.
import type { Migration } from './index.ts';

export const osGuesses: Migration = {
  version: 10,
  name: 'os guesses and tool tags',
  up(db) {
    db.exec(`
      -- one row per (source, direction, origin, raw_sig, label): repeated SYNs bump count and last_seen
      CREATE TABLE os_guesses (
        ip          TEXT NOT NULL,               -- the fingerprinted host (client of a SYN, server of a SYN+ACK), canonical
        mode        TEXT NOT NULL,               -- 'syn' | 'syn+ack'
        via         TEXT NOT NULL,               -- 'pcap' | 'live' | 'log'
        raw_sig     TEXT NOT NULL,               -- p0f raw_sig
        label       TEXT NOT NULL,               -- p0f label "type:class:name:flavor", '' when nothing matched
        class       TEXT,
        name        TEXT,
        flavor      TEXT,
        quality     TEXT NOT NULL,               -- 'exact' | 'generic' | 'fuzzy' | 'none'
        tool        INTEGER NOT NULL,            -- 1 for '!' signatures (NMap SYN scan, …)
        dist        INTEGER NOT NULL,
        muonfp      TEXT NOT NULL,
        link        TEXT,                        -- link type from the MTU
        mtu         INTEGER,
        first_seen  INTEGER NOT NULL,            -- event time, ms
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (ip, mode, via, raw_sig, label)
      ) WITHOUT ROWID;
      CREATE INDEX os_guesses_ip_last ON os_guesses (ip, last_seen);
      CREATE INDEX os_guesses_name ON os_guesses (name, ip);

      -- tags the fingerprinting stage puts on a source (tool names from '!' signatures)
      CREATE TABLE os_tags (
        ip          TEXT NOT NULL,
        tag         TEXT NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (ip, tag)
      ) WITHOUT ROWID;
      CREATE INDEX os_tags_tag ON os_tags (tag, ip);
    `);
  },
};
