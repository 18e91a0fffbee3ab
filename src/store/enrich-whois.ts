// The whois netblock cache (one answer serves every address of its block), its full-text search, and registry pacing state.
import type { Database, Statement } from 'better-sqlite3';
import { parseIp } from '../domain/address.ts';
import type { Registry, RegistryState, RegistryStateStore, WhoisBlock, WhoisCache } from '../domain/enrichment.ts';
import type { WhoisInfo } from '../domain/profile.ts';

interface BlockRow {
  id: number;
  family: number;
  first_text: string;
  last_text: string;
  info: string;
  raw: string;
  fetched_at: number;
}

/** 16-byte sort key of an address: IPv4 as ::ffff:a.b.c.d, so blocks of both families compare bytewise. */
export function addressKey(ip: string): Buffer | null {
  const p = parseIp(ip);
  if (!p) return null;
  if (p.family === 6) return Buffer.from(p.bytes);
  const b = Buffer.alloc(16);
  b[10] = 0xff;
  b[11] = 0xff;
  b.set(p.bytes, 12);
  return b;
}

/** SQLite implementation of the whois cache, bounded to `maxBlocks` (oldest fetched go first). */
export class SqliteWhoisCache implements WhoisCache {
  readonly #db: Database;
  readonly #maxBlocks: number;
  readonly #find: Statement<[Buffer, Buffer, number], BlockRow>;
  readonly #insert: Statement<Record<string, unknown>>;
  readonly #sameRange: Statement<[Buffer, Buffer], number>;
  readonly #delete: Statement<[number]>;
  readonly #count: Statement<[], number>;
  readonly #trim: Statement<[number]>;
  readonly #unlink: Statement<[number]>;

  constructor(db: Database, maxBlocks: number) {
    this.#db = db;
    this.#maxBlocks = maxBlocks;
    // the most specific block holding the address: among blocks starting at or before it, the latest start that still
    // reaches it, the shortest when several start there
    this.#find = db.prepare<[Buffer, Buffer, number], BlockRow>(`SELECT id, family, first_text, last_text, info, raw, fetched_at
      FROM whois_blocks WHERE first <= ? AND last >= ? AND fetched_at >= ? ORDER BY first DESC, last ASC LIMIT 1`);
    this.#insert = db.prepare(`INSERT INTO whois_blocks (family, first, last, first_text, last_text, registry, server, info, raw, fetched_at)
      VALUES (@family, @first, @last, @first_text, @last_text, @registry, @server, @info, @raw, @fetched_at)`);
    this.#sameRange = db.prepare<[Buffer, Buffer], number>('SELECT id FROM whois_blocks WHERE first = ? AND last = ?').pluck();
    this.#delete = db.prepare('DELETE FROM whois_blocks WHERE id = ?');
    this.#unlink = db.prepare('UPDATE enrich_state SET block_id = NULL WHERE block_id = ?');
    this.#count = db.prepare<[], number>('SELECT count(*) FROM whois_blocks').pluck();
    this.#trim = db.prepare('DELETE FROM whois_blocks WHERE id IN (SELECT id FROM whois_blocks ORDER BY fetched_at ASC LIMIT ?)');
  }

  find(ip: string, notBefore: number): WhoisBlock | null {
    const k = addressKey(ip);
    if (!k) return null;
    const r = this.#find.get(k, k, notBefore);
    if (!r) return null;
    return {
      id: r.id, family: r.family as 4 | 6, first: r.first_text, last: r.last_text,
      info: { ...(JSON.parse(r.info) as Omit<WhoisInfo, 'raw'>), raw: r.raw }, fetchedAt: r.fetched_at,
    };
  }

  save(block: Omit<WhoisBlock, 'id'>): WhoisBlock {
    const first = addressKey(block.first);
    const last = addressKey(block.last);
    if (!first || !last) throw new Error(`bad block ${block.first} - ${block.last}`);
    const run = (): number => {
      // a refreshed answer for the same range replaces the old one; sources pointing at it are re-pointed by the worker
      for (const old of this.#sameRange.all(first, last)) {
        this.#unlink.run(old);
        this.#delete.run(old);
      }
      const { raw, ...info } = block.info;
      const id = Number(this.#insert.run({
        family: block.family, first, last, first_text: block.first, last_text: block.last, registry: block.info.registry,
        server: block.info.server, info: JSON.stringify(info), raw, fetched_at: block.fetchedAt,
      }).lastInsertRowid);
      const over = this.#count.get()! - this.#maxBlocks;
      if (over > 0) this.#trim.run(over);
      return id;
    };
    const id = this.#db.inTransaction ? run() : this.#db.transaction(run)();
    return { ...block, id };
  }
}

/** A parsed whois text query: alternatives separated by "|", each a case-insensitive substring. */
export interface WhoisQuery {
  /** The alternatives, trimmed, empty ones dropped. */
  terms: string[];
}

/** Maximum alternatives and length of one, so a query cannot become a denial of service. */
const MAX_TERMS = 16;
const MAX_TERM = 200;

/** Parses `bank|military|gov` into terms; returns null when nothing is left to search for. */
export function parseWhoisQuery(q: string): WhoisQuery | null {
  const terms = q.split('|').map((t) => t.trim()).filter((t) => t.length > 0).slice(0, MAX_TERMS).map((t) => t.slice(0, MAX_TERM));
  return terms.length > 0 ? { terms } : null;
}

/**
 * Whois text search for the API's `?whois=` filter: sources whose whois answer contains any alternative, case-insensitive
 * (egrep -i semantics on words and substrings). Terms are quoted as FTS5 strings, so their characters are never query
 * syntax; terms shorter than a trigram fall back to a LIKE scan with escaped wildcards.
 */
export class WhoisSearch {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The FTS5 MATCH expression for terms of three or more characters (null when there are none). */
  static matchExpression(q: WhoisQuery): string | null {
    const long = q.terms.filter((t) => Array.from(t).length >= 3);
    return long.length > 0 ? long.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ') : null;
  }

  /** Ids of whois blocks matching the query. */
  blockIds(q: WhoisQuery): number[] {
    const ids = new Set<number>();
    const expr = WhoisSearch.matchExpression(q);
    if (expr) for (const id of this.#db.prepare('SELECT rowid FROM whois_fts WHERE whois_fts MATCH ?').pluck().all(expr) as number[]) ids.add(id);
    for (const t of q.terms.filter((x) => Array.from(x).length < 3)) {
      const pat = `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      for (const id of this.#db.prepare("SELECT id FROM whois_blocks WHERE raw LIKE ? ESCAPE '\\'").pluck().all(pat) as number[]) ids.add(id);
    }
    return [...ids];
  }

  /** Addresses of sources whose whois answer matches, in address order after `after`, at most `limit`. */
  sources(query: string, opts: { limit?: number; after?: string } = {}): string[] {
    const q = parseWhoisQuery(query);
    if (!q) return [];
    const ids = this.blockIds(q);
    if (ids.length === 0) return [];
    const tmp = JSON.stringify(ids);
    return this.#db.prepare(`SELECT ip FROM enrich_state WHERE provider = 'whois' AND block_id IN (SELECT value FROM json_each(?))
      AND ip > ? ORDER BY ip LIMIT ?`).pluck().all(tmp, opts.after ?? '', opts.limit ?? 1000) as string[];
  }
}

/** Registry pacing state in SQLite. */
export class SqliteRegistryState implements RegistryStateStore {
  readonly #get: Statement<[string], { cooldown_until: number; day: string; day_count: number; last_error: string | null }>;
  readonly #put: Statement<[string, number, string, number, string | null]>;

  constructor(db: Database) {
    this.#get = db.prepare('SELECT cooldown_until, day, day_count, last_error FROM whois_registry WHERE registry = ?');
    this.#put = db.prepare(`INSERT INTO whois_registry (registry, cooldown_until, day, day_count, last_error) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (registry) DO UPDATE SET cooldown_until = excluded.cooldown_until, day = excluded.day,
        day_count = excluded.day_count, last_error = excluded.last_error`);
  }

  get(registry: Registry): RegistryState {
    const r = this.#get.get(registry);
    return r ? { cooldownUntil: r.cooldown_until, day: r.day, dayCount: r.day_count, lastError: r.last_error } : { cooldownUntil: 0, day: '', dayCount: 0, lastError: null };
  }

  put(registry: Registry, s: RegistryState): void {
    this.#put.run(registry, s.cooldownUntil, s.day, s.dayCount, s.lastError);
  }
}
