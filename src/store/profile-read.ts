// Assembles SourceProfile documents from the store: the detection part from the scan-state tables, then every
// registered part (OS, enrichment, response — added by their areas) fills its fields.
import type { Database, Statement } from 'better-sqlite3';
import type { SourceProfile } from '../domain/profile.ts';
import { emptyProfile, scanProfile } from '../domain/scan-profile.ts';
import { isoTime } from '../domain/clock.ts';
import type { ProfileLimits } from '../domain/scan-profile.ts';
import { ScanStateRepo } from './scan-state.ts';

/** One area's contribution to profiles: fills its fields of already-built profiles (batch, to keep queries few). */
export interface ProfilePart {
  /** Area name, for errors. */
  name: string;
  fill(db: Database, profiles: SourceProfile[]): void;
}

const parts: ProfilePart[] = [];

/** Registers an area's part (call once at start-up; later areas append OS, enrichment and response parts). */
export function registerProfilePart(part: ProfilePart): void {
  if (!parts.some((p) => p.name === part.name)) parts.push(part);
}

/** Reads profiles from a store. */
export class ProfileReader {
  readonly #db: Database;
  readonly #repo: ScanStateRepo;
  readonly #limits: ProfileLimits;
  readonly #base: Statement<[string], { ip: string; family: number; first_seen: number; last_seen: number; packets: number; danger_level: number }>;

  constructor(db: Database, limits: ProfileLimits = {}) {
    this.#db = db;
    this.#repo = new ScanStateRepo(db);
    this.#limits = limits;
    this.#base = db.prepare('SELECT ip, family, first_seen, last_seen, packets, danger_level FROM sources WHERE ip = ?');
  }

  /** The profile of one source (any address spelling already canonicalised by the caller), or null. */
  one(ip: string): SourceProfile | null {
    return this.many([ip])[0] ?? null;
  }

  /** Profiles of several sources, in the given order; unknown addresses are left out. */
  many(ips: readonly string[]): SourceProfile[] {
    const out: SourceProfile[] = [];
    for (const ip of ips) {
      const s = this.#repo.load(ip);
      if (s) {
        out.push(scanProfile(s, this.#limits));
        continue;
      }
      // a source another area created (an OS observation) without detection state
      const b = this.#base.get(ip);
      if (!b) continue;
      const p = emptyProfile(b.ip, b.family === 6 ? 6 : 4, this.#limits.enrichment);
      p.firstSeen = isoTime(b.first_seen);
      p.lastSeen = isoTime(b.last_seen);
      out.push(p);
    }
    for (const part of parts) part.fill(this.#db, out);
    return out;
  }
}
