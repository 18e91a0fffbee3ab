// Keeps the API's search index current: reads the change outbox in order, re-reads each changed profile, versions its row.
import type { Database, Statement } from 'better-sqlite3';
import { parseIp } from '../../domain/address.ts';
import type { Clock } from '../../domain/clock.ts';
import type { ProfileReader } from '../../domain/queries.ts';
import { LIVE } from '../migrations/040-api-index.ts';
import { countKey, indexedSource } from './facets.ts';
import type { IndexedSource } from './facets.ts';
import { ApiMeta } from './meta.ts';
import type { DocSerializer, ProfileDocs } from './profile-docs.ts';

/** Index tuning (from the api config section). */
export interface IndexerOptions {
  /** Sources re-indexed per step. */
  batch: number;
  /** Terms per kind per source. */
  maxTerms: number;
  /** Closed row versions are kept this long (ms) for snapshot cursors. */
  historyMs: number;
  /** Where to keep each indexed profile's response body (api.profileDocs), and what writes it; absent: none kept. */
  docs?: { store: ProfileDocs; serializer: DocSerializer };
}

/** Result of one step of the stored-body rebuild. */
export interface RebuildResult {
  /** Sources looked at. */
  visited: number;
  /** Bodies written (the others were current). */
  written: number;
  /** Every source has been visited since the rebuild started. */
  done: boolean;
}

interface IndexRow {
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

/** Result of one indexing step. */
export interface StepResult {
  /** Outbox rows consumed. */
  rows: number;
  /** Distinct sources re-indexed. */
  sources: number;
  /** Watermark after the step. */
  seq: number;
  /** Nothing left to index. */
  caughtUp: boolean;
}

/**
 * The search index writer. Single writer per store: `serve` runs it on a timer; tests call `catchUp()`.
 * Rows are versioned by outbox sequence (seq_from/seq_to) so paging from a snapshot never shows a source twice or skips one.
 */
export class SearchIndexer {
  readonly #db: Database;
  readonly #reader: ProfileReader;
  readonly #opts: IndexerOptions;
  readonly #clock: Clock;
  readonly #meta: ApiMeta;
  readonly #changes: Statement<[number, number], { seq: number; ip: string }>;
  readonly #version: Statement<[string], number>;
  readonly #live: Statement<[string, number], IndexRow>;
  readonly #close: Statement<[number, number, string, number]>;
  readonly #insert: Statement;
  readonly #bumpVersion: Statement<[number, string, number]>;
  readonly #liveTerms: Statement<[string, number], string>;
  readonly #closeTerm: Statement<[number, number, string, string, number]>;
  readonly #addTerm: Statement<[string, string, number]>;
  readonly #count: Statement<[string, string, number, string | null]>;
  readonly #dropZero: Statement<[string, string]>;
  readonly #gcIndex: Statement<[number, number], { seq_to: number }>;
  readonly #gcTerms: Statement<[number, number], { seq_to: number }>;
  readonly #latest: Statement<[], number>;
  readonly #rebuildRows: Statement<[string, number], { ip: string; version: number; doc: number | null }>;
  /** Counter changes of the running step: one write per facet value per step, not per source. */
  readonly #deltas = new Map<string, { facet: string; value: string; by: number; label: string | null }>();

  constructor(db: Database, reader: ProfileReader, opts: IndexerOptions, clock: Clock) {
    this.#db = db;
    this.#reader = reader;
    this.#opts = opts;
    this.#clock = clock;
    this.#meta = new ApiMeta(db);
    this.#changes = db.prepare<[number, number], { seq: number; ip: string }>('SELECT seq, ip FROM profile_changes WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#version = db.prepare<[string], number>('SELECT version FROM sources WHERE ip = ?').pluck();
    this.#live = db.prepare<[string, number], IndexRow>(
      'SELECT version, family, danger_level, first_seen, last_seen, packets, country, asn, summary FROM api_index WHERE ip = ? AND seq_to = ?');
    this.#close = db.prepare('UPDATE api_index SET seq_to = ?, closed_at = ? WHERE ip = ? AND seq_to = ?');
    this.#insert = db.prepare(`INSERT INTO api_index (ip, ip_key, seq_from, seq_to, version, family, danger_level, first_seen, last_seen, packets, country, asn, summary)
      VALUES (?, ?, ?, ${LIVE}, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#bumpVersion = db.prepare('UPDATE api_index SET version = ? WHERE ip = ? AND seq_to = ?');
    this.#liveTerms = db.prepare<[string, number], string>('SELECT term FROM api_terms WHERE ip = ? AND seq_to = ?').pluck();
    this.#closeTerm = db.prepare('UPDATE api_terms SET seq_to = ?, closed_at = ? WHERE term = ? AND ip = ? AND seq_to = ?');
    this.#addTerm = db.prepare(`INSERT INTO api_terms (term, ip, seq_from, seq_to) VALUES (?, ?, ?, ${LIVE})`);
    this.#count = db.prepare(`INSERT INTO api_counts (facet, value, sources, label) VALUES (?, ?, ?, ?)
      ON CONFLICT (facet, value) DO UPDATE SET sources = sources + excluded.sources, label = coalesce(excluded.label, label)`);
    this.#dropZero = db.prepare('DELETE FROM api_counts WHERE facet = ? AND value = ? AND sources <= 0');
    this.#gcIndex = db.prepare<[number, number], { seq_to: number }>(
      'DELETE FROM api_index WHERE (ip, seq_from) IN (SELECT ip, seq_from FROM api_index WHERE closed_at IS NOT NULL AND closed_at < ? LIMIT ?) RETURNING seq_to');
    this.#gcTerms = db.prepare<[number, number], { seq_to: number }>(
      'DELETE FROM api_terms WHERE (term, ip, seq_from) IN (SELECT term, ip, seq_from FROM api_terms WHERE closed_at IS NOT NULL AND closed_at < ? LIMIT ?) RETURNING seq_to');
    this.#rebuildRows = db.prepare<[string, number], { ip: string; version: number; doc: number | null }>(`SELECT s.ip, s.version,
      d.version AS doc FROM sources s LEFT JOIN api_profile_docs d ON d.ip = s.ip WHERE s.ip > ? ORDER BY s.ip LIMIT ?`);
    this.#latest = db.prepare<[], number>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'profile_changes'), 0)").pluck();
  }

  /** Outbox sequence the index reflects. */
  watermark(): number {
    return this.#meta.getNumber('indexed_seq');
  }

  /** Outbox rows not yet indexed (an upper bound: compacted rows count too). */
  lag(): number {
    return Math.max(0, this.#latest.get()! - this.watermark());
  }

  /** Indexes the sources of the next `batch` outbox rows (default `opts.batch`) in one transaction. */
  step(batch = this.#opts.batch): StepResult {
    return this.#db.transaction((): StepResult => {
      const from = this.watermark();
      const rows = this.#changes.all(from, batch);
      if (rows.length === 0) return { rows: 0, sources: 0, seq: from, caughtUp: true };
      const seq = rows[rows.length - 1]!.seq;
      const ips = new Set<string>();
      for (const r of rows) ips.add(r.ip);
      const now = this.#clock.now();
      for (const ip of ips) this.#indexOne(ip, seq, now);
      this.#flushCounts();
      this.#meta.set('indexed_seq', String(seq));
      return { rows: rows.length, sources: ips.size, seq, caughtUp: rows.length < batch };
    }).immediate();
  }

  /** Runs steps until caught up or `maxSteps` ran; returns the rows consumed. */
  catchUp(maxSteps = Number.POSITIVE_INFINITY): number {
    let total = 0;
    for (let i = 0; i < maxSteps; i++) {
      const r = this.step();
      total += r.rows;
      if (r.caughtUp) break;
    }
    return total;
  }

  /**
   * One step of the stored-body rebuild after `ProfileDocs.adopt()` dropped bodies of another shape (or a store from
   * before bodies were kept): visits up to `limit` sources in address order from the saved cursor and writes the body of
   * each whose stored one is missing or older. Changed sources get theirs from the index steps anyway; this covers the
   * ones that do not change. One transaction per step, so the profile and version written belong together.
   */
  rebuildDocs(limit = 200): RebuildResult {
    const d = this.#opts.docs;
    const from = d?.store.rebuildCursor() ?? null;
    if (!d || from === null) return { visited: 0, written: 0, done: true };
    return this.#db.transaction((): RebuildResult => {
      const rows = this.#rebuildRows.all(from, limit);
      let written = 0;
      for (const r of rows) {
        if (r.doc === r.version) continue;
        const profile = this.#reader.read(r.ip);
        if (!profile) continue;
        d.store.put(r.ip, r.version, d.serializer.serialize(profile));
        written++;
      }
      const done = rows.length < limit;
      d.store.setRebuildCursor(done ? null : rows[rows.length - 1]!.ip);
      return { visited: rows.length, written, done };
    }).immediate();
  }

  /** Drops row versions closed longer ago than the history window, in bounded chunks; returns rows dropped. */
  gc(chunk = 5000): number {
    const cutoff = this.#clock.now() - this.#opts.historyMs;
    return this.#db.transaction(() => {
      const a = this.#gcIndex.all(cutoff, chunk);
      const b = this.#gcTerms.all(cutoff, chunk);
      let maxSeq = 0;
      for (const r of a) maxSeq = Math.max(maxSeq, r.seq_to);
      for (const r of b) maxSeq = Math.max(maxSeq, r.seq_to);
      // history below this sequence is incomplete: blocklist deltas from older cursors must restart
      if (maxSeq > this.#meta.getNumber('history_seq')) this.#meta.set('history_seq', String(maxSeq));
      return a.length + b.length;
    }).immediate();
  }

  #indexOne(ip: string, seq: number, now: number): void {
    const old = this.#live.get(ip, LIVE);
    const profile = this.#reader.read(ip);
    const version = profile ? this.#version.get(ip) : undefined;
    if (!profile || version === undefined) {
      this.#opts.docs?.store.drop(ip);
      if (old) {
        this.#close.run(seq, now, ip, LIVE);
        this.#columnCounts(old, -1);
      }
      for (const t of this.#liveTerms.all(ip, LIVE)) this.#dropTerm(t, ip, seq, now);
      return;
    }
    const next = indexedSource(profile, version, this.#opts.maxTerms);
    // the body GET /sources/{ip} sends for this version, serialised while the profile is at hand
    const docs = this.#opts.docs;
    if (docs) docs.store.put(ip, version, docs.serializer.serialize(profile));
    const summary = JSON.stringify(next.summary);
    if (old && sameColumns(old, next, summary)) {
      if (old.version !== version) this.#bumpVersion.run(version, ip, LIVE);
    } else {
      if (old) {
        this.#close.run(seq, now, ip, LIVE);
        this.#columnCounts(old, -1);
      }
      this.#insert.run(ip, ipKey(ip), seq, version, next.family, next.dangerLevel, next.firstSeen, next.lastSeen, next.packets, next.country, next.asn, summary);
      this.#columnCounts({ family: next.family, danger_level: next.dangerLevel, packets: next.packets }, 1);
    }
    const had = new Set(this.#liveTerms.all(ip, LIVE));
    const want = new Set(next.terms);
    for (const t of had) if (!want.has(t)) this.#dropTerm(t, ip, seq, now);
    for (const t of want) {
      if (had.has(t)) continue;
      this.#addTerm.run(t, ip, seq);
      const k = countKey(t);
      if (k) this.#bump(k[0], k[1], 1, next.labels.get(t));
    }
  }

  #dropTerm(term: string, ip: string, seq: number, now: number): void {
    this.#closeTerm.run(seq, now, term, ip, LIVE);
    const k = countKey(term);
    if (k) this.#bump(k[0], k[1], -1);
  }

  /** Adds to a facet counter of the running step (written once per step by #flushCounts). */
  #bump(facet: string, value: string, by: number, label?: string): void {
    const key = `${facet}\u0000${value}`;
    const d = this.#deltas.get(key);
    if (d) {
      d.by += by;
      if (label !== undefined) d.label = label;
    } else {
      this.#deltas.set(key, { facet, value, by, label: label ?? null });
    }
  }

  #flushCounts(): void {
    for (const d of this.#deltas.values()) {
      if (d.by === 0 && d.label === null) continue;
      this.#count.run(d.facet, d.value, d.by, d.label);
      if (d.by < 0) this.#dropZero.run(d.facet, d.value);
    }
    this.#deltas.clear();
  }

  #columnCounts(r: Pick<IndexRow, 'family' | 'danger_level' | 'packets'>, sign: 1 | -1): void {
    this.#bump('dl', String(r.danger_level), sign);
    this.#bump('family', String(r.family), sign);
    this.#bump('total', 'packets', sign * r.packets);
  }
}

/** 32 hex digits of the address as 16 bytes (IPv4 as ::ffff:a.b.c.d), so text order is numeric address order. */
export function ipKey(ip: string): string {
  const p = parseIp(ip);
  if (!p) return ip;
  const hex = Buffer.from(p.bytes).toString('hex');
  return p.family === 4 ? `00000000000000000000ffff${hex}` : hex;
}

function sameColumns(old: IndexRow, next: IndexedSource, summary: string): boolean {
  return old.family === next.family && old.danger_level === next.dangerLevel && old.first_seen === next.firstSeen
    && old.last_seen === next.lastSeen && old.packets === next.packets && old.country === next.country
    && old.asn === next.asn && old.summary === summary;
}
