// The merged profile read from the store: the scan part (detect), then the enrichment and response parts laid over it.
import type { Database } from 'better-sqlite3';
import type { SourceProfile } from '../../domain/profile.ts';
import type { ProfileReader } from '../../domain/queries.ts';
import { EnrichStateRepo } from '../enrich-state.ts';
import { SqliteResponseLog } from '../response-log.ts';

/**
 * Composes a profile from its owners' tables: `core` gives the scan state (counters, destinations, ports, signatures,
 * OS guesses — detect's and fingerprint's readers, or the `sources` row alone), enrichment adds geo/ASN/whois/rDNS
 * with their states, response adds blocks, alerts and script runs. Call inside one read transaction for a consistent view.
 */
export class StoreProfileReader implements ProfileReader {
  readonly #core: ProfileReader;
  readonly #enrich: EnrichStateRepo;
  readonly #response: SqliteResponseLog;

  constructor(db: Database, core: ProfileReader) {
    this.#core = core;
    this.#enrich = new EnrichStateRepo(db);
    this.#response = new SqliteResponseLog(db);
  }

  read(ip: string): SourceProfile | null {
    const p = this.#core.read(ip);
    if (!p) return null;
    const e = this.#enrich.view(ip);
    return { ...p, geo: e.geo, as: e.as, whois: e.whois, rdns: e.rdns, enrichment: e.enrichment, response: this.#response.profileState(ip) };
  }
}
