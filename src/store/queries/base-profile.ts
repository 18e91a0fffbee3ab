// A profile reader over the core `sources` table alone: what every store has, used until richer parts are wired in.
import type { Database, Statement } from 'better-sqlite3';
import { toDangerLevel } from '../../domain/profile.ts';
import type { ProviderState, SourceProfile } from '../../domain/profile.ts';
import type { ProfileReader, VersionedProfile } from '../../domain/queries.ts';

interface SourceRow {
  ip: string;
  family: number;
  first_seen: number;
  last_seen: number;
  packets: number;
  danger_level: number;
  version?: number;
  updated_at?: number;
}

const pending = (): ProviderState => ({ state: 'pending' });

/** The profile of a source with only the core counters known; every other part empty, enrichment pending. */
export function baseProfile(r: SourceRow): SourceProfile {
  return {
    ip: r.ip,
    family: r.family === 6 ? 6 : 4,
    dangerLevel: toDangerLevel(r.danger_level),
    dangerHistory: [],
    packets: r.packets,
    destinations: [],
    ports: [],
    protocols: [],
    scanTypes: [],
    signatures: [],
    chains: [],
    interfaces: [],
    sensors: [],
    tags: [],
    firstSeen: new Date(r.first_seen).toISOString(),
    lastSeen: new Date(r.last_seen).toISOString(),
    os: { current: null, history: [] },
    geo: null,
    as: null,
    whois: null,
    rdns: null,
    enrichment: { geo: pending(), asn: pending(), whois: pending(), rdns: pending() },
    response: { blockedUntil: null, alerts: [], scripts: [] },
  };
}

/** Reads profiles from `sources` only. */
export class BaseProfileReader implements ProfileReader {
  readonly #get: Statement<[string], SourceRow>;

  constructor(db: Database) {
    this.#get = db.prepare<[string], SourceRow>('SELECT ip, family, first_seen, last_seen, packets, danger_level, version, updated_at FROM sources WHERE ip = ?');
  }

  read(ip: string): SourceProfile | null {
    const r = this.#get.get(ip);
    return r ? baseProfile(r) : null;
  }

  readVersioned(ip: string): VersionedProfile | null {
    const r = this.#get.get(ip);
    return r ? { profile: baseProfile(r), version: r.version ?? 0, updatedAt: r.updated_at ?? 0 } : null;
  }
}
