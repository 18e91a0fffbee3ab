// Re-indexes sources fingerprinted with a tool: the OS breakdown and `os` filter now file them under the tool as well.
import type { Migration } from './index.ts';

/**
 * The index terms of a profile are computed when the indexer reads it after a change. From this version a tool match
 * ("NMap SYN scan") adds `os:`/`osl:` terms beside the current guess, so every source with a tool guess gets a change
 * record (version bumped, as ChangeLog.touch does) and is re-indexed by the next indexer step.
 */
export const apiOsTerms: Migration = {
  version: 41,
  name: 'api index: os terms for tool guesses',
  up(db) {
    db.exec(`
      CREATE TEMP TABLE tool_sources AS SELECT DISTINCT ip FROM os_guesses WHERE tool = 1;
      UPDATE sources SET version = version + 1, updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
        WHERE ip IN (SELECT ip FROM tool_sources);
      INSERT INTO profile_changes (ip, version, kind, time)
        SELECT s.ip, s.version, 'os', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
        FROM sources s JOIN tool_sources t ON t.ip = s.ip ORDER BY s.ip;
      DROP TABLE tool_sources;
    `);
  },
};
