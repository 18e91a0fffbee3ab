// Builds the dashboard's store side over one database: the rollup writer `serve` runs and the queries the API reads.
import type { Database } from 'better-sqlite3';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import type { EnrichPolicy } from '../domain/enrichment.ts';
import type { ProfileReader } from '../domain/queries.ts';
import { RollupWriter } from './rollups.ts';
import { SqliteDashboard } from './rollups-read.ts';

/** The rollup writer (single writer per store) and the read side. */
export interface DashboardStore {
  writer: RollupWriter;
  queries: SqliteDashboard;
}

/**
 * Wires the dashboard rollups over `db`, reading profiles through `reader`; `policy` is the enrichment policy the reader
 * applies (a change of it re-folds every source once, so the enrichment backlog follows it).
 */
export function dashboardStore(db: Database, reader: ProfileReader, s: Config['dashboard'], clock: Clock, policy?: EnrichPolicy): DashboardStore {
  const profileKey = policy ? `enrich-policy:1:${policy.minDangerLevel}:${policy.whois ? 1 : 0}:${policy.rdns ? 1 : 0}` : undefined;
  return {
    writer: new RollupWriter(db, reader, { ...s, batch: s.rollupBatch, ...(profileKey === undefined ? {} : { profileKey }) }, clock),
    queries: new SqliteDashboard(db, s, clock),
  };
}
