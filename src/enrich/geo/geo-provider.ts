// Geo, ASN and anonymity lookups over a set of MaxMind DB files: address checks, v4/v6 routing, provenance, reloads.
import type { Clock } from '../../domain/clock.ts';
import { isoTime, systemClock } from '../../domain/clock.ts';
import { formatIpv4, formatIpv6, parseIp } from '../../domain/address.ts';
import type { AsInfo, GeoInfo, ProviderState } from '../../domain/profile.ts';
import type { EnrichLog } from '../log.ts';
import { silentLog } from '../log.ts';
import type { DbPlan } from './default-dbs.ts';
import type { DbLookup, DbRole } from './mmdb-file.ts';
import { MmdbFile } from './mmdb-file.ts';
import { anonymousFromRecord, asFromRecord, geoFromRecord } from './records.ts';

/** What geo/ASN says about one address. */
export interface GeoResult {
  /** Canonical address looked up (IPv4-mapped IPv6 unmapped, zone id dropped). */
  ip: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** Location, or null when no database knows the address. */
  geo: GeoInfo | null;
  /** Autonomous system, or null. */
  as: AsInfo | null;
  /** Geo provider state with provenance. */
  geoState: ProviderState;
  /** ASN provider state with provenance. */
  asnState: ProviderState;
}

/** Description of one database file, for `probewatch geo --list` and logs. */
export interface DbInfo {
  path: string;
  role: DbRole | null;
  type: string | null;
  ipVersion: 4 | 6 | null;
  build: string | null;
  /** Whether it only fills roles the primary files leave empty (bundled data). */
  fallback: boolean;
  error: string | null;
}

/** One role's answer: the file that answered (null when every file refused) and what it said. */
interface Answer {
  file: MmdbFile | null;
  res: DbLookup;
}

function prefixText(bytes: Uint8Array, prefix: number): string {
  const b = bytes.slice();
  for (let i = 0; i < b.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    b[i] = (b[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return `${b.length === 4 ? formatIpv4(b) : formatIpv6(b)}/${prefix}`;
}

/**
 * The geo/ASN provider. Lookups are synchronous (microseconds: the files live in memory); `reloadChanged()` picks up
 * replaced files, never swapping in one that does not parse and probe cleanly.
 */
export class GeoProvider {
  readonly #primary: MmdbFile[];
  readonly #fallback: MmdbFile[];
  readonly #clock: Clock;
  readonly #log: EnrichLog;
  #key = '';
  /** Files per role, recomputed when a generation changes (lookups run per source: no filtering on the hot path). */
  #roles = new Map<DbRole, MmdbFile[]>();
  /** The last lookup time and its ISO text: a batch of lookups in one millisecond formats the date once. */
  #nowMs = Number.NaN;
  #nowIso = '';
  /** Shared found/absent states per file, for the current millisecond and build. */
  readonly #states = new Map<MmdbFile, { now: string; build: string | null; found: ProviderState; absent: ProviderState }>();

  constructor(plan: Pick<DbPlan, 'files' | 'fallback'>, opts: { clock?: Clock; log?: EnrichLog } = {}) {
    this.#primary = plan.files.map((f) => new MmdbFile(f));
    this.#fallback = plan.fallback.map((f) => new MmdbFile(f));
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.log ?? silentLog;
    for (const f of [...this.#primary, ...this.#fallback]) {
      if (f.reload() === 'failed') this.#log('warn', `cannot use database ${f.path}: ${f.error ?? ''}`, { path: f.path });
    }
    this.#key = this.#computeKey();
    this.#roles = this.#computeRoles();
  }

  /** Identity of every loaded generation: changes when any database file is replaced (drives the geo refresh). */
  get key(): string {
    return this.#key;
  }

  #computeKey(): string {
    return [...this.#primary, ...this.#fallback].map((f) => f.generation?.key ?? '-').join('|');
  }

  /** Re-reads files that changed on disk; true when any generation was replaced. */
  reloadChanged(): boolean {
    let changed = false;
    for (const f of [...this.#primary, ...this.#fallback]) {
      const r = f.reload();
      if (r === 'reloaded') {
        changed = true;
        this.#log('info', `reloaded database ${f.path}`, { type: f.generation?.type, build: f.generation?.build });
      } else if (r === 'failed' && f.error) {
        this.#log('warn', `database ${f.path} not reloaded, keeping the previous one: ${f.error}`, { path: f.path });
      }
    }
    if (changed) {
      this.#key = this.#computeKey();
      this.#roles = this.#computeRoles();
    }
    return changed;
  }

  /** Closes every file (see MmdbFile.close): the descriptors of lazily read trees are not left to the process's end. */
  close(): void {
    for (const f of [...this.#primary, ...this.#fallback]) f.close();
  }

  /** The configured files and what each holds. */
  describe(): DbInfo[] {
    const one = (f: MmdbFile, fallback: boolean): DbInfo => {
      const g = f.generation;
      return { path: f.path, role: g?.role ?? null, type: g?.type ?? null, ipVersion: g?.ipVersion ?? null, build: g?.build ?? null, fallback, error: f.error };
    };
    return [...this.#primary.map((f) => one(f, false)), ...this.#fallback.map((f) => one(f, true))];
  }

  #computeRoles(): Map<DbRole, MmdbFile[]> {
    const m = new Map<DbRole, MmdbFile[]>();
    for (const role of ['city', 'country', 'asn', 'anonymous', 'unknown'] as const) {
      const p = this.#primary.filter((f) => f.generation?.role === role);
      m.set(role, p.length > 0 ? p : this.#fallback.filter((f) => f.generation?.role === role));
    }
    return m;
  }

  /** Files of a role: the primary ones, or the fallback ones when no primary file has that role. */
  #filesFor(role: DbRole): readonly MmdbFile[] {
    return this.#roles.get(role) ?? [];
  }

  /** First answer among files of a role for the family, skipping files that refuse it. */
  #ask(role: DbRole, ip: Uint8Array, family: 4 | 6): Answer | null {
    const files = this.#filesFor(role);
    if (files.length === 0) return null;
    let last: DbLookup = { kind: 'refused', reason: 'no database for this address family' };
    for (const f of files) {
      const res = f.lookup(ip, family);
      if (res.kind === 'refused') { last = res; continue; }
      return { file: f, res };
    }
    return { file: null, res: last };
  }

  /** The frozen 'done' state of a lookup in `file` at `now` (found, or absent from the file). */
  #sharedState(file: MmdbFile, kind: 'found' | 'absent', now: string): ProviderState {
    let m = this.#states.get(file);
    if (m?.now !== now || m.build !== (file.generation?.build ?? null)) {
      const build = file.generation?.build ?? null;
      const base = { state: 'done' as const, fetchedAt: now, source: file.label, build };
      m = { now, build, found: Object.freeze({ ...base, reason: null }), absent: Object.freeze({ ...base, reason: 'not in database' }) };
      this.#states.set(file, m);
    }
    return m[kind];
  }

  /** Whether any database of these roles is loaded. */
  has(role: 'geo' | 'asn'): boolean {
    return role === 'geo' ? this.#filesFor('city').length + this.#filesFor('country').length > 0 : this.#filesFor('asn').length > 0;
  }

  /** Looks an address up in every role; returns null when `input` is not an IP address. */
  lookup(input: string): GeoResult | null {
    const p = parseIp(input);
    if (!p) return null;
    const ms = this.#clock.now();
    if (ms !== this.#nowMs) {
      this.#nowMs = ms;
      this.#nowIso = isoTime(ms);
    }
    const now = this.#nowIso;
    const state = (ans: Answer | null, none: string): ProviderState => {
      if (!ans) return { state: 'disabled', reason: none, fetchedAt: null, source: null, build: null };
      const kind = ans.res.kind;
      // found/absent states are the same for every address looked up in a file within one millisecond: one object each
      if (ans.file && (kind === 'found' || kind === 'absent')) return this.#sharedState(ans.file, kind, now);
      const src = ans.file ? { source: ans.file.label, build: ans.file.generation?.build ?? null } : { source: null, build: null };
      switch (ans.res.kind) {
        case 'found': return { state: 'done', reason: null, fetchedAt: now, ...src };
        case 'absent': return { state: 'done', reason: 'not in database', fetchedAt: now, ...src };
        case 'refused': return { state: 'skipped', reason: ans.res.reason, fetchedAt: now, ...src };
        case 'error': return { state: 'failed', reason: ans.res.reason, fetchedAt: now, ...src };
      }
    };
    // city databases carry the country too; a country-only database is the fallback
    let g = this.#ask('city', p.bytes, p.family);
    if (!g || g.res.kind === 'refused') g = this.#ask('country', p.bytes, p.family) ?? g;
    let geo: GeoInfo | null = g?.res.kind === 'found' ? geoFromRecord(g.res.record) : null;
    const anon = this.#ask('anonymous', p.bytes, p.family);
    if (anon?.res.kind === 'found') {
      geo ??= { country: null, city: null };
      geo.anonymous = anonymousFromRecord(anon.res.record);
    } else if (geo && anon) {
      geo.anonymous = null;
    }
    const a = this.#ask('asn', p.bytes, p.family);
    const as = a?.res.kind === 'found' ? asFromRecord(a.res.record, prefixText(p.bytes, a.res.prefix)) : null;
    return {
      ip: p.text,
      family: p.family,
      geo,
      as,
      geoState: state(g, 'no geo database configured'),
      asnState: state(a, 'no ASN database configured'),
    };
  }
}
