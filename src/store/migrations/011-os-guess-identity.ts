// OS guess history keyed by the guess, not by its packet details: one row per (source, direction, origin, label).
import type { Migration } from './index.ts';

/**
 * Version 10 keyed rows by raw_sig too, but a raw_sig carries the TTL and window of one packet: nmap varies both per
 * probe, so one "NMap SYN scan" became dozens of history rows. The identity is now the label; only a guess without a
 * match keeps its raw_sig as identity (sig_key), since the signature is then all that tells two guesses apart. Existing
 * rows are merged (counts added, first/last seen as min/max, the details of the latest observation kept), and every
 * source whose history shrank gets a change record so the API index, ETags and the feed see the new profile.
 */
export const osGuessIdentity: Migration = {
  version: 11,
  name: 'os guesses: one row per distinct guess',
  up(db) {
    db.exec(`
      CREATE TABLE os_guesses_v11 (
        ip          TEXT NOT NULL,
        mode        TEXT NOT NULL,               -- 'syn' | 'syn+ack'
        via         TEXT NOT NULL,               -- 'pcap' | 'live' | 'log'
        label       TEXT NOT NULL,               -- p0f label "type:class:name:flavor", '' when nothing matched
        sig_key     TEXT NOT NULL,               -- '' for a match; the raw_sig when nothing matched
        raw_sig     TEXT NOT NULL,               -- p0f raw_sig of the latest observation
        class       TEXT,
        name        TEXT,
        flavor      TEXT,
        quality     TEXT NOT NULL,
        tool        INTEGER NOT NULL,
        dist        INTEGER NOT NULL,
        muonfp      TEXT NOT NULL,
        link        TEXT,
        mtu         INTEGER,
        first_seen  INTEGER NOT NULL,            -- event time, ms
        last_seen   INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (ip, mode, via, label, sig_key)
      ) WITHOUT ROWID;

      -- sources whose rows merge: their profile changes
      CREATE TEMP TABLE os_merged AS
        SELECT DISTINCT ip FROM os_guesses WHERE label <> '' GROUP BY ip, mode, via, label HAVING count(*) > 1;

      -- the bare columns come from the row holding max(last_seen) (SQLite's min/max aggregate rule): the latest details
      INSERT INTO os_guesses_v11 (ip, mode, via, label, sig_key, raw_sig, class, name, flavor, quality, tool, dist, muonfp, link, mtu, first_seen, last_seen, count)
        SELECT ip, mode, via, label, sig_key, raw_sig, class, name, flavor, quality, tool, dist, muonfp, link, mtu, first, max(last_seen), total
        FROM (SELECT *, CASE WHEN label = '' THEN raw_sig ELSE '' END AS sig_key,
                min(first_seen) OVER w AS first, sum(count) OVER w AS total
              FROM os_guesses
              WINDOW w AS (PARTITION BY ip, mode, via, label, CASE WHEN label = '' THEN raw_sig ELSE '' END))
        GROUP BY ip, mode, via, label, sig_key;

      DROP TABLE os_guesses;
      ALTER TABLE os_guesses_v11 RENAME TO os_guesses;
      CREATE INDEX os_guesses_ip_last ON os_guesses (ip, last_seen);
      CREATE INDEX os_guesses_name ON os_guesses (name, ip);

      UPDATE sources SET version = version + 1, updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
        WHERE ip IN (SELECT ip FROM os_merged);
      INSERT INTO profile_changes (ip, version, kind, time)
        SELECT s.ip, s.version, 'os', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
        FROM sources s JOIN os_merged m ON m.ip = s.ip;
      DROP TABLE os_merged;
    `);
  },
};
