// The ordered list of schema migrations. Each area owns a version range: 1–9 core/detect, 10–19 fingerprint,
// 20–29 enrichment, 30–39 response, 40–49 API/feed, 50–59 dashboard rollups.
import type { Database } from 'better-sqlite3';
import { core } from './001-core.ts';
import { detectSchema } from './002-detect.ts';
import { ingestInbox } from './008-ingest-inbox.ts';
import { osGuesses } from './010-os-guesses.ts';
import { osGuessIdentity } from './011-os-guess-identity.ts';
import { enrichSchema } from './020-enrich.ts';
import { response } from './030-response.ts';
import { apiIndex } from './040-api-index.ts';
import { apiOsTerms } from './041-api-os-terms.ts';
import { apiProfileDocs } from './042-api-profile-docs.ts';
import { dashboardRollups } from './050-dashboard-rollups.ts';

/** One schema step; `up` runs inside a transaction. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [core, detectSchema, ingestInbox, osGuesses, osGuessIdentity, enrichSchema, response, apiIndex, apiOsTerms, apiProfileDocs, dashboardRollups];
