// Profile lookups and filtered, sorted, snapshot-paged source lists over the API search index.
import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.ts';
import { toDangerLevel } from '../../domain/profile.ts';
import type { ListPosition, ProfileReader, SourceFilter, SourcePage, SourceQueries, SourceSort, SourceSummary, VersionedProfile } from '../../domain/queries.ts';
import type { SummaryExtra } from './facets.ts';
import { ApiMeta } from './meta.ts';
import type { ProfileDocs, StoredDoc } from './profile-docs.ts';
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

/** How a filter field becomes index terms, and how many sources a value has (from api_counts; null = unknown). */
interface TermFilter {
  field: keyof SourceFilter;
  term: (v: string) => string;
  /** api_counts facet and values whose counts estimate the matches of `v`; null when not counted. */
  counted: ((v: string) => [string, string[]]) | null;
}

const PROTOS = ['tcp', 'udp', 'udplite', 'sctp'];

const TERM_FILTERS: readonly TermFilter[] = [
  { field: 'country', term: (v) => `cc:${v}`, counted: (v) => ['country', [v]] },
  { field: 'asn', term: (v) => `asn:${v}`, counted: (v) => ['asn', [v]] },
  { field: 'os', term: (v) => `os:${v}`, counted: null },
  { field: 'port', term: (v) => (v.includes('/') ? `pp:${v}` : `port:${v}`), counted: (v) => ['port', v.includes('/') ? [v] : PROTOS.map((p) => `${p}/${v}`)] },
  { field: 'scanType', term: (v) => `scan:${v}`, counted: (v) => ['scanType', [v]] },
  { field: 'signature', term: (v) => (/^\d+$/.test(v) ? `sig:${v}` : `sigmsg:${v}`), counted: (v) => (/^\d+$/.test(v) ? ['signature', [v]] : ['', []]) },
  { field: 'tool', term: (v) => `tool:${v}`, counted: (v) => ['tool', [v]] },
  { field: 'sensor', term: (v) => `sensor:${v}`, counted: null },
];

/** A term filter of one query: its terms and how many sources it may match. */
interface TermGroup {
  terms: string[];
  estimate: number;
}

/** The options the queries need from configuration. */
export interface SourceQueryOptions {
  /** Snapshot cursors live this long (ms). */
  cursorTtlMs: number;
  /** A term filter matching at most this many sources (or 2 % of them) drives the query (default 2000). */
  driveBelow?: number;
  /** Stored response bodies (api.profileDocs). */
  docs?: ProfileDocs;
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
  readonly #count: Statement<[string, string], number>;
  readonly #osCount: Statement<[string, string], number>;
  readonly #total: Statement<[], number>;

  constructor(db: Database, reader: ProfileReader, clock: Clock, opts: SourceQueryOptions) {
    this.#db = db;
    this.#reader = reader;
    this.#clock = clock;
    this.#opts = opts;
    this.#meta = new ApiMeta(db);
    this.#whois = new WhoisSearch(db);
    this.#count = db.prepare<[string, string], number>('SELECT sources FROM api_counts WHERE facet = ? AND value = ?').pluck();
    this.#osCount = db.prepare<[string, string], number>("SELECT sum(sources) FROM api_counts WHERE facet = 'os' AND (value = ? OR value LIKE ?)").pluck();
    this.#total = db.prepare<[], number>("SELECT sum(sources) FROM api_counts WHERE facet = 'dl'").pluck();
    this.#version = db.prepare<[string], { version: number; updated_at: number }>('SELECT version, updated_at FROM sources WHERE ip = ?');
  }

  get(ip: string): VersionedProfile | null {
    if (this.#reader.readVersioned) return this.#reader.readVersioned(ip);
    // no read transaction (it cost a tenth of the request): the version is read first, so a change committed by
    // another process between the reads can only pair newer parts with an older ETag — the next revalidation corrects it
    const v = this.#version.get(ip);
    if (!v) return null;
    const profile = this.#reader.read(ip);
    return profile ? { profile, version: v.version, updatedAt: v.updated_at } : null;
  }

  doc(ip: string): StoredDoc | undefined {
    return this.#opts.docs?.get(ip);
  }

  current(ip: string): { version: number; updatedAt: number; body: Uint8Array | null } | null {
    // with bodies of another shape (not adopted by this process) the join would read pages only to drop them
    const docs = this.#opts.docs;
    if (docs?.usable) return docs.current(ip) ?? null;
    const v = this.#version.get(ip);
    return v ? { version: v.version, updatedAt: v.updated_at, body: null } : null;
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
    const groups = this.#termGroups(filter);
    // drive the query from the most selective term when it is rare enough that sorting its matches beats walking the
    // sort index and probing every row (a rare port among a million sources)
    let driver: TermGroup | undefined;
    for (const g of groups) if (!driver || g.estimate < driver.estimate) driver = g;
    const total = this.#total.get() ?? 0;
    const rare = Math.max(this.#opts.driveBelow ?? 2000, total * 0.02);
    if (driver && driver.estimate > rare) driver = undefined;
    // a level filter with the default (time) order: one walk of the level index per level in range, each already in
    // time order, merged — about limit × levels rows whatever the counts (walking the time index past every source
    // of other levels took 1.2 s over a million sources when none was at the level; sorting a 20,000-source level 160 ms)
    const levelFilter = filter.minDangerLevel !== undefined || filter.maxDangerLevel !== undefined;
    const levels: number[] = [];
    if (levelFilter && !driver && cols[0] === 'last_seen') {
      for (let l = Math.max(0, filter.minDangerLevel ?? 0); l <= Math.min(5, filter.maxDangerLevel ?? 5); l++) levels.push(l);
    }
    // other orders: a level range with very few sources is found by the level index and sorted
    let byLevel = false;
    if (levelFilter && levels.length === 0 && cols[0] !== 'danger_level') {
      let inRange = 0;
      for (let l = filter.minDangerLevel ?? 0; l <= (filter.maxDangerLevel ?? 5); l++) inRange += this.#count.get('dl', String(l)) ?? 0;
      if (inRange <= (this.#opts.driveBelow ?? 2000) && (!driver || inRange < driver.estimate)) {
        byLevel = true;
        driver = undefined;
      }
    }
    for (const g of groups) {
      if (g === driver) continue;
      where.push(`EXISTS (SELECT 1 FROM api_terms t WHERE t.term IN (${marks(g.terms.length)}) AND t.ip = i.ip AND t.seq_from <= ? AND t.seq_to > ?)`);
      args.push(...g.terms, snapshotSeq, snapshotSeq);
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
    // CROSS JOIN keeps the rare term's matches as the outer loop (SQLite never reorders a CROSS JOIN)
    const from = driver
      ? `(SELECT DISTINCT t.ip FROM api_terms t WHERE t.term IN (${marks(driver.terms.length)}) AND t.seq_from <= ? AND t.seq_to > ?) m CROSS JOIN api_index i ON i.ip = m.ip`
      : byLevel ? 'api_index i INDEXED BY api_index_dl' : 'api_index i';
    const select = 'SELECT i.ip, i.ip_key, i.version, i.family, i.danger_level, i.first_seen, i.last_seen, i.packets, i.country, i.asn, i.summary';
    let sql: string;
    let all: unknown[];
    if (levels.length > 0) {
      const arm = `SELECT * FROM (${select} FROM api_index i INDEXED BY api_index_dl WHERE ${where.join(' AND ')} AND i.danger_level = ?
        ORDER BY i.last_seen ${dir}, i.ip ${dir} LIMIT ?)`;
      sql = `${levels.map(() => arm).join(' UNION ALL ')} ORDER BY last_seen ${dir}, ip ${dir} LIMIT ?`;
      all = [...levels.flatMap((l) => [...args, l, limit + 1]), limit + 1];
    } else {
      sql = `${select} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${cols.map((c) => `i.${c} ${dir}`).join(', ')} LIMIT ?`;
      if (driver) args.unshift(...driver.terms, snapshotSeq, snapshotSeq);
      all = [...args, limit + 1];
    }
    const rows = this.#stmt(sql).all(...all);
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

  /** The term filters of a query with their estimated matches. */
  #termGroups(filter: SourceFilter): TermGroup[] {
    const out: TermGroup[] = [];
    for (const tf of TERM_FILTERS) {
      const raw = filter[tf.field] as (string | number)[] | undefined;
      if (!raw?.length) continue;
      const values = raw.map((v) => String(v).toLowerCase());
      let estimate = 0;
      for (const v of values) {
        if (!tf.counted) { estimate += this.#unknown(tf.field, v); continue; }
        const [facet, keys] = tf.counted(v);
        for (const k of keys) estimate += facet ? this.#count.get(facet, k) ?? 0 : 0;
      }
      out.push({ terms: values.map(tf.term), estimate });
    }
    return out;
  }

  /** Estimate for uncounted values: an OS name sums its labels; sensors are few and shared, so never rare. */
  #unknown(field: keyof SourceFilter, v: string): number {
    if (field === 'os') return this.#osCount.get(v, `${v} %`) ?? 0;
    return Number.MAX_SAFE_INTEGER;
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
