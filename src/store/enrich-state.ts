// Per-source enrichment results and states: written by the worker (with a ChangeLog entry), read into profiles.
import type { Database, Statement } from 'better-sqlite3';
import { parseIp } from '../domain/address.ts';
import { isoTime } from '../domain/clock.ts';
import { policyState } from '../domain/enrichment.ts';
import type { EnrichPolicy, EnrichStatePort, ProviderName, ProviderWrite, StoredState, UnqueuedSlice } from '../domain/enrichment.ts';
import type { AsInfo, GeoInfo, ProviderState, RdnsInfo, SourceProfile, WhoisInfo } from '../domain/profile.ts';
import { ChangeLog } from './changes.ts';

interface StateRow {
  provider: string;
  state: string;
  reason: string | null;
  fetched_at: number | null;
  source: string | null;
  build: string | null;
  data: string | null;
  block_id: number | null;
  checked_key: string | null;
  expires_at: number | null;
}

/** The enrichment part of a profile. */
export type EnrichmentView = Pick<SourceProfile, 'geo' | 'as' | 'whois' | 'rdns' | 'enrichment'>;

const PENDING: ProviderState = { state: 'pending', reason: null, fetchedAt: null, source: null, build: null };

/** Reads and writes provider states; every change that alters what a profile shows touches the ChangeLog. */
export class EnrichStateRepo implements EnrichStatePort {
  readonly #db: Database;
  readonly #changes: ChangeLog;
  readonly #get: Statement<[string], StateRow>;
  readonly #one: Statement<[string, string], StateRow>;
  readonly #put: Statement<Record<string, unknown>>;
  readonly #ensureSource: Statement<[string, number, number, number, number]>;
  readonly #block: Statement<[number], { info: string; raw: string }>;
  readonly #markChecked: Statement<[string, string, string]>;
  readonly #geoSweep: Statement<[string, string, number], string>;
  readonly #expired: Statement<[string, number, number, number], { ip: string; danger: number; last_seen: number }>;
  readonly #unqueued: Statement<[string, number, number, string], { ip: string; danger: number; last_seen: number; due: number }>;

  constructor(db: Database) {
    this.#db = db;
    this.#changes = new ChangeLog(db);
    const cols = 'provider, state, reason, fetched_at, source, build, data, block_id, checked_key, expires_at';
    this.#get = db.prepare<[string], StateRow>(`SELECT ${cols} FROM enrich_state WHERE ip = ?`);
    this.#one = db.prepare<[string, string], StateRow>(`SELECT ${cols} FROM enrich_state WHERE ip = ? AND provider = ?`);
    this.#put = db.prepare(`INSERT INTO enrich_state (ip, ${cols})
      VALUES (@ip, @provider, @state, @reason, @fetched_at, @source, @build, @data, @block_id, @checked_key, @expires_at)
      ON CONFLICT (ip, provider) DO UPDATE SET state = excluded.state, reason = excluded.reason, fetched_at = excluded.fetched_at,
        source = excluded.source, build = excluded.build, data = excluded.data, block_id = excluded.block_id,
        checked_key = excluded.checked_key, expires_at = excluded.expires_at`);
    this.#ensureSource = db.prepare('INSERT OR IGNORE INTO sources (ip, family, first_seen, last_seen, updated_at) VALUES (?, ?, ?, ?, ?)');
    this.#block = db.prepare<[number], { info: string; raw: string }>('SELECT info, raw FROM whois_blocks WHERE id = ?');
    this.#markChecked = db.prepare(`UPDATE enrich_state SET checked_key = ? WHERE ip = ? AND provider = ?`);
    // sources whose geo was never looked up, or looked up in other database generations; walked by ip as a cursor
    this.#geoSweep = db.prepare<[string, string, number], string>(`SELECT s.ip FROM sources s
      LEFT JOIN enrich_state g ON g.ip = s.ip AND g.provider = 'geo'
      WHERE s.ip > ? AND (g.ip IS NULL OR g.checked_key IS NOT ?) ORDER BY s.ip LIMIT ?`).pluck();
    this.#expired = db.prepare<[string, number, number, number], { ip: string; danger: number; last_seen: number }>(`
      SELECT e.ip, s.danger_level AS danger, s.last_seen FROM enrich_state e JOIN sources s ON s.ip = e.ip
      WHERE e.provider = ? AND e.expires_at <= ? AND s.danger_level >= ?
        AND NOT EXISTS (SELECT 1 FROM enrich_queue q WHERE q.ip = e.ip) LIMIT ?`);
    // a policy skip is stored as 'skipped' with the reason isBelowLevelSkip (domain/enrichment) recognises
    // walks a bounded slice of sources by address (so one call never scans the whole table); the last row of the slice
    // comes back as the cursor even when it does not qualify
    this.#unqueued = db.prepare<[string, number, number, string], { ip: string; danger: number; last_seen: number; due: number }>(`
      WITH slice AS (SELECT ip, danger_level, last_seen FROM sources WHERE ip > ? ORDER BY ip LIMIT ?)
      SELECT s.ip, s.danger_level AS danger, s.last_seen,
        s.danger_level >= ?
        AND NOT EXISTS (SELECT 1 FROM enrich_queue q WHERE q.ip = s.ip)
        AND NOT EXISTS (SELECT 1 FROM enrich_state e WHERE e.ip = s.ip AND e.provider = ?
          AND e.state <> 'pending'
          AND NOT (e.state = 'skipped' AND (e.reason LIKE 'below enrich.minDangerLevel%' OR e.reason LIKE 'below the minimum danger level%'))) AS due
      FROM slice s ORDER BY s.ip`);
  }

  /**
   * Stores provider results for a source in one transaction, creating the `sources` row when missing. Writes that
   * change nothing a profile shows (same state, data and provenance) only refresh bookkeeping and do not touch the
   * ChangeLog, so a database update that changes no answer does not flood the feed. Returns whether anything changed.
   */
  write(ip: string, writes: readonly ProviderWrite[], now: number): boolean {
    const run = (): boolean => {
      const p = parseIp(ip);
      if (p) this.#ensureSource.run(p.text, p.family, now, now, now);
      let changed = false;
      // one read of the source's rows rather than one per provider (the geo batch writes four per source)
      const stored = writes.length > 1 ? new Map(this.#get.all(ip).map((r) => [r.provider, r])) : null;
      for (const w of writes) {
        const old = stored ? stored.get(w.provider) : this.#one.get(ip, w.provider);
        const row = {
          ip, provider: w.provider, state: w.state.state, reason: w.state.reason ?? null,
          fetched_at: w.state.fetchedAt ? Date.parse(w.state.fetchedAt) : null, source: w.state.source ?? null,
          build: w.state.build ?? null, data: w.data === null || w.data === undefined ? null : JSON.stringify(w.data),
          block_id: w.blockId ?? null, checked_key: w.checkedKey ?? null, expires_at: w.expiresAt ?? null,
        };
        const same = old !== undefined && old.state === row.state && old.reason === row.reason && old.data === row.data
          && old.block_id === row.block_id && old.source === row.source && old.build === row.build;
        if (same && w.provider !== 'whois' && w.provider !== 'rdns') {
          this.#markChecked.run(row.checked_key ?? '', ip, w.provider);
          continue;
        }
        this.#put.run(row);
        stored?.set(w.provider, row); // a provider written twice in one call compares with what it just wrote
        if (!same) changed = true;
      }
      if (changed) this.#changes.touch(ip, 'enrich', now);
      return changed;
    };
    return this.#db.inTransaction ? run() : this.#db.transaction(run)();
  }

  /** The stored state of one provider (null when never written). */
  state(ip: string, provider: ProviderName): StoredState | null {
    const r = this.#one.get(ip, provider);
    return r ? { ...toState(r), checkedKey: r.checked_key, expiresAt: r.expires_at, blockId: r.block_id } : null;
  }

  /**
   * The enrichment part of a source's profile. Providers never written are 'pending' — unless `policy` is given with the
   * source's danger level: then whois and rDNS show what the policy makes of them (skipped below the level, disabled when
   * switched off, pending at or above it), so work that will never be done is not reported as backlog.
   */
  view(ip: string, policy?: { dangerLevel: number; policy: EnrichPolicy }): EnrichmentView {
    const out: EnrichmentView = {
      geo: null, as: null, whois: null, rdns: null,
      enrichment: { geo: PENDING, asn: PENDING, whois: PENDING, rdns: PENDING },
    };
    for (const r of this.#get.all(ip)) {
      const st = toState(r);
      switch (r.provider) {
        case 'geo': out.geo = parse<GeoInfo>(r.data); out.enrichment.geo = st; break;
        case 'asn': out.as = parse<AsInfo>(r.data); out.enrichment.asn = st; break;
        case 'rdns': out.rdns = parse<RdnsInfo>(r.data); out.enrichment.rdns = st; break;
        case 'whois': {
          out.enrichment.whois = st;
          const b = r.block_id === null ? undefined : this.#block.get(r.block_id);
          if (b) out.whois = { ...(JSON.parse(b.info) as Omit<WhoisInfo, 'raw'>), raw: b.raw };
          break;
        }
      }
    }
    if (policy) {
      const e = out.enrichment;
      const stored = (s: ProviderState): ProviderState | null => (s === PENDING ? null : s);
      e.whois = policyState(stored(e.whois), 'whois', policy.dangerLevel, policy.policy);
      e.rdns = policyState(stored(e.rdns), 'rdns', policy.dangerLevel, policy.policy);
    }
    return out;
  }

  /** Up to `limit` sources after `cursor` (by address text) whose geo was not checked against `key`. */
  geoSweep(cursor: string, key: string, limit: number): string[] {
    return this.#geoSweep.all(cursor, key, limit);
  }

  /** Of the `limit` sources after `cursor`: those at `minDanger` or above, not queued, with no `provider` result (see EnrichStatePort). */
  unqueued(cursor: string, provider: 'whois' | 'rdns', minDanger: number, limit: number): UnqueuedSlice {
    const rows = this.#unqueued.all(cursor, limit, minDanger, provider);
    return {
      due: rows.filter((r) => r.due === 1).map((r) => ({ ip: r.ip, dangerLevel: r.danger, lastSeen: r.last_seen })),
      next: rows.length < limit ? null : rows[rows.length - 1]!.ip,
    };
  }

  /** Sources at `minDanger` or above whose `provider` result expired and that are not queued (refresh candidates). */
  expired(provider: ProviderName, now: number, minDanger: number, limit: number): { ip: string; dangerLevel: number; lastSeen: number }[] {
    return this.#expired.all(provider, now, minDanger, limit).map((r) => ({ ip: r.ip, dangerLevel: r.danger, lastSeen: r.last_seen }));
  }
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the stored shape
function parse<T>(s: string | null): T | null {
  return s === null ? null : JSON.parse(s) as T;
}

function toState(r: StateRow): ProviderState {
  return {
    state: r.state as ProviderState['state'],
    reason: r.reason,
    fetchedAt: r.fetched_at === null ? null : isoTime(r.fetched_at),
    source: r.source,
    build: r.build,
  };
}
