// Profile lookups and filtered, sorted, snapshot-paged source lists over the API search index.
import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.ts';
import { toDangerLevel } from '../../domain/profile.ts';
import type { ListPosition, ProfileReader, SourceFilter, SourcePage, SourceQueries, SourceSort, SourceSummary, VersionedProfile } from '../../domain/queries.ts';
import type { SummaryExtra } from './facets.ts';
import { ApiMeta } from './meta.ts';
import { WhoisSearch } from '../enrich-whois.ts';

interface ListRow {
  ip: string;
  ip_key: string;
  version: number;
  family: number;
  danger_level: number;
  first_seen: number;
  last_seen: number;
  packets: number;
  country: string | null;
  asn: number | null;
  summary: string;
}

/** Sort columns per order (the address always ends the key) and the direction. */
const SORTS: Readonly<Record<SourceSort, { cols: readonly (keyof ListRow)[]; desc: boolean }>> = {
  '-lastSeen': { cols: ['last_seen', 'ip'], desc: true },
  lastSeen: { cols: ['last_seen', 'ip'], desc: false },
  '-firstSeen': { cols: ['first_seen', 'ip'], desc: true },
  firstSeen: { cols: ['first_seen', 'ip'], desc: false },
  '-dangerLevel': { cols: ['danger_level', 'last_seen', 'ip'], desc: true },
  dangerLevel: { cols: ['danger_level', 'last_seen', 'ip'], desc: false },
  '-packets': { cols: ['packets', 'ip'], desc: true },
  packets: { cols: ['packets', 'ip'], desc: false },
  ip: { cols: ['ip_key'], desc: false },
  '-ip': { cols: ['ip_key'], desc: true },
};

/** Filter fields that are matched through api_terms, and the term prefix of each. */
const TERM_FILTERS: readonly [keyof SourceFilter, (v: string) => string][] = [
  ['os', (v) => `os:${v}`],
  ['port', (v) => (v.includes('/') ? `pp:${v}` : `port:${v}`)],
  ['scanType', (v) => `scan:${v}`],
  ['signature', (v) => (/^\d+$/.test(v) ? `sig:${v}` : `sigmsg:${v}`)],
  ['tool', (v) => `tool:${v}`],
  ['sensor', (v) => `sensor:${v}`],
];

/** The options the queries need from configuration. */
export interface SourceQueryOptions {
  /** Snapshot cursors live this long (ms). */
  cursorTtlMs: number;
}

/** SQLite implementation of SourceQueries. */
export class SqliteSourceQueries implements SourceQueries {
  readonly #db: Database;
  readonly #reader: ProfileReader;
  readonly #clock: Clock;
  readonly #opts: SourceQueryOptions;
  readonly #meta: ApiMeta;
  readonly #version: Statement<[string], { version: number; updated_at: number }>;
  readonly #cache = new Map<string, Statement<unknown[], ListRow>>();
  readonly #whois: WhoisSearch;

  constructor(db: Database, reader: ProfileReader, clock: Clock, opts: SourceQueryOptions) {
    this.#db = db;
    this.#reader = reader;
    this.#clock = clock;
    this.#opts = opts;
    this.#meta = new ApiMeta(db);
    this.#whois = new WhoisSearch(db);
    this.#version = db.prepare<[string], { version: number; updated_at: number }>('SELECT version, updated_at FROM sources WHERE ip = ?');
  }

  get(ip: string): VersionedProfile | null {
    // one read transaction: the version and the parts read belong to the same state
    return this.#db.transaction((): VersionedProfile | null => {
      const v = this.#version.get(ip);
      if (!v) return null;
      const profile = this.#reader.read(ip);
      return profile ? { profile, version: v.version, updatedAt: v.updated_at } : null;
    })();
  }

  version(ip: string): { version: number; updatedAt: number } | null {
    const v = this.#version.get(ip);
    return v ? { version: v.version, updatedAt: v.updated_at } : null;
  }

  snapshotAlive(snapshotTime: number): boolean {
    return this.#clock.now() - snapshotTime <= this.#opts.cursorTtlMs;
  }

  list(filter: SourceFilter, sort: SourceSort, limit: number, position?: ListPosition): SourcePage {
    const snapshotSeq = position?.snapshotSeq ?? this.#meta.getNumber('indexed_seq');
    const snapshotTime = position?.snapshotTime ?? this.#clock.now();
    const { cols, desc } = SORTS[sort];
    const where: string[] = ['i.seq_from <= ?', 'i.seq_to > ?'];
    const args: unknown[] = [snapshotSeq, snapshotSeq];
    if (filter.minDangerLevel !== undefined) { where.push('i.danger_level >= ?'); args.push(filter.minDangerLevel); }
    if (filter.maxDangerLevel !== undefined) { where.push('i.danger_level <= ?'); args.push(filter.maxDangerLevel); }
    if (filter.seenSince !== undefined) { where.push('i.last_seen >= ?'); args.push(filter.seenSince); }
    if (filter.seenUntil !== undefined) { where.push('i.first_seen <= ?'); args.push(filter.seenUntil); }
    if (filter.family !== undefined) { where.push('i.family = ?'); args.push(filter.family); }
    if (filter.country?.length) {
      where.push(`i.country IN (${marks(filter.country.length)})`);
      args.push(...filter.country.map((c) => c.toUpperCase()));
    }
    if (filter.asn?.length) { where.push(`i.asn IN (${marks(filter.asn.length)})`); args.push(...filter.asn); }
    for (const [field, term] of TERM_FILTERS) {
      const values = filter[field] as string[] | undefined;
      if (!values?.length) continue;
      where.push(`EXISTS (SELECT 1 FROM api_terms t WHERE t.term IN (${marks(values.length)}) AND t.ip = i.ip AND t.seq_from <= ? AND t.seq_to > ?)`);
      args.push(...values.map((v) => term(v.toLowerCase())), snapshotSeq, snapshotSeq);
    }
    if (filter.whois?.length) {
      // the enrichment store's whois search (trigram FTS: case-insensitive substrings, as egrep -i over psad's whois files)
      const blocks = this.#whois.blockIds({ terms: filter.whois });
      where.push("i.ip IN (SELECT ip FROM enrich_state WHERE provider = 'whois' AND block_id IN (SELECT value FROM json_each(?)))");
      args.push(JSON.stringify(blocks));
    }
    if (position?.after) {
      if (position.after.length !== cols.length) throw new RangeError('cursor key does not fit the sort order');
      where.push(`(${cols.map((c) => `i.${c}`).join(', ')}) ${desc ? '<' : '>'} (${marks(cols.length)})`);
      args.push(...position.after);
    }
    const dir = desc ? 'DESC' : 'ASC';
    const sql = `SELECT i.ip, i.ip_key, i.version, i.family, i.danger_level, i.first_seen, i.last_seen, i.packets, i.country, i.asn, i.summary
      FROM api_index i WHERE ${where.join(' AND ')} ORDER BY ${cols.map((c) => `i.${c} ${dir}`).join(', ')} LIMIT ?`;
    args.push(limit + 1);
    const rows = this.#stmt(sql).all(...args);
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return {
      items: rows.map(summaryOf),
      next: more && last ? { snapshotSeq, snapshotTime, after: cols.map((c) => last[c] as number | string) } : null,
      snapshotSeq,
      snapshotTime,
    };
  }

  #stmt(sql: string): Statement<unknown[], ListRow> {
    let s = this.#cache.get(sql);
    if (!s) {
      // the shapes are few (filters present × sort), so prepared statements are reused; bound the cache anyway
      if (this.#cache.size > 256) this.#cache.clear();
      s = this.#db.prepare<unknown[], ListRow>(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }
}

function marks(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

/** A list row as the API shows it. */
export function summaryOf(r: ListRow): SourceSummary {
  const x = JSON.parse(r.summary) as SummaryExtra;
  return {
    ip: r.ip,
    family: r.family === 6 ? 6 : 4,
    dangerLevel: toDangerLevel(r.danger_level),
    packets: r.packets,
    firstSeen: new Date(r.first_seen).toISOString(),
    lastSeen: new Date(r.last_seen).toISOString(),
    country: r.country,
    city: x.city,
    asn: r.asn,
    asOrganization: x.asOrganization,
    os: x.os,
    ports: x.ports,
    scanTypes: x.scanTypes,
    tags: x.tags,
    sensors: x.sensors,
    blockedUntil: x.blockedUntil,
    version: r.version,
  };
}
