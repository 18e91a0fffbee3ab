// The merged profile read from the store: the scan part (detect), then the enrichment and response parts laid over it.
import type { Database, Statement } from 'better-sqlite3';
import type { EnrichPolicy } from '../../domain/enrichment.ts';
import type { SourceProfile } from '../../domain/profile.ts';
import type { ProfileReader, VersionedProfile } from '../../domain/queries.ts';
import { EnrichStateRepo } from '../enrich-state.ts';
import { OsGuessRepository } from '../os-guesses.ts';
import { SqliteResponseLog } from '../response-log.ts';

/**
 * Composes a profile from its owners' tables: `core` gives the scan state (counters, destinations, ports, signatures —
 * detect's reader, or the `sources` row alone), fingerprinting adds the OS guesses and tool tags, enrichment adds
 * geo/ASN/whois/rDNS with their states, response adds blocks, alerts and script runs. Call inside one read transaction for a consistent view.
 */
export class StoreProfileReader implements ProfileReader {
  readonly #core: ProfileReader;
  readonly #enrich: EnrichStateRepo;
  readonly #policy: EnrichPolicy;
  readonly #response: SqliteResponseLog;
  readonly #os: OsGuessRepository;
  readonly #anyResponse: Statement<[string, string], number>;
  /** Profile and version in one read, present when the core reader can do it. */
  readonly readVersioned?: (ip: string) => VersionedProfile | null;

  /** `policy` is the enrichment configuration: whois/rDNS a source is below the level for show as skipped, not pending. */
  constructor(db: Database, core: ProfileReader, policy: EnrichPolicy) {
    this.#core = core;
    this.#policy = policy;
    this.#enrich = new EnrichStateRepo(db);
    this.#response = new SqliteResponseLog(db);
    this.#os = new OsGuessRepository(db);
    const versioned = core.readVersioned?.bind(core);
    if (versioned) {
      this.readVersioned = (ip) => {
        const v = versioned(ip);
        return v ? { ...v, profile: this.#compose(ip, v.profile) } : null;
      };
    }
    // most sources were never alerted on or blocked: one indexed probe spares the three queries of the response part
    this.#anyResponse = db.prepare<[string, string], number>(
      'SELECT EXISTS (SELECT 1 FROM response_log WHERE ip = ?) OR EXISTS (SELECT 1 FROM blocks WHERE ip = ?)').pluck();
  }

  read(ip: string): SourceProfile | null {
    const p = this.#core.read(ip);
    return p ? this.#compose(ip, p) : null;
  }

  #compose(ip: string, p: SourceProfile): SourceProfile {
    const e = this.#enrich.view(ip, { dangerLevel: p.dangerLevel, policy: this.#policy });
    const response = this.#anyResponse.get(ip, ip) === 1 ? this.#response.profileState(ip) : { blockedUntil: null, alerts: [], scripts: [] };
    const os = this.#os.forSource(ip);
    // tool tags exist only beside guesses: most sources (log-only) skip the query
    const osTags = os.history.length === 0 ? [] : this.#os.tags(ip);
    const tags = osTags.length === 0 ? p.tags : [...new Set([...p.tags, ...osTags])];
    return { ...p, os, tags, geo: e.geo, as: e.as, whois: e.whois, rdns: e.rdns, enrichment: e.enrichment, response };
  }
}
