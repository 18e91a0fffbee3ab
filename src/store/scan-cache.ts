// A bounded cache of hot source state over the store: at most `maxHot` sources (and the memory budget) in memory, the
// least recently used evicted to SQLite and reloaded on their next packet, so a spoofed-source flood costs disk, not RAM.
import { IntMap, ipv4Key } from '../domain/int-table.ts';
import { expireCandidates, expirePair, markPair } from '../domain/scan-state.ts';
import type { SourceDirectory, SourceState, TouchedHint } from '../domain/scan-state.ts';
import { IpBloom } from './ip-bloom.ts';
import { ScanStateRepo } from './scan-state.ts';
import type { Database } from 'better-sqlite3';

/** Cache settings. */
export interface ScanCacheOptions {
  /** Most sources kept in memory (detect.maxHotSources). */
  maxHot: number;
  /** Bytes (resident set) the process may use before the cache sheds sources early (detect.memoryBudget, in bytes). */
  memoryBudget: number;
  /** Wall clock for `updated_at`. */
  now?: () => number;
  /** Operational notices (evictions under memory pressure), with the setting to raise. */
  notice?: (msg: string) => void;
  /** Reads the process's memory use (resident set; tests override it). */
  heapUsed?: () => number;
}

/** Counters for reports and benchmarks. */
export interface CacheStats {
  evicted: number;
  reloaded: number;
  saved: number;
  peakHot: number;
}

/** SourceDirectory over SQLite with an LRU of hot sources. Writes go through the caller's transaction. */
export class ScanCache implements SourceDirectory {
  #repo: ScanStateRepo | null = null;
  readonly #open: () => Database;
  readonly stats: CacheStats = { evicted: 0, reloaded: 0, saved: 0, peakHot: 0 };
  /** Hot sources, least recently used first (Map insertion order). */
  readonly #hot = new Map<string, SourceState>();
  /** Hot IPv4 sources by number (the per-packet lookup). */
  readonly #hotByKey = new IntMap<SourceState>();
  /** See SourceDirectory.generation: bumped when hot sources are dropped. */
  generation = 0;
  #touched = new Set<SourceState>();
  /** Sources handed out since the last flush (only these can have changed). */
  #handed = new Set<SourceState>();
  #cap: number;
  readonly #o: Required<Omit<ScanCacheOptions, 'notice'>> & Pick<ScanCacheOptions, 'notice'>;
  /** Whether the store may hold sources that are not hot (false for a fresh store until the first eviction). */
  #coldExists: boolean;
  #sinceCheck = 0;
  #warned = false;
  #capNoted = false;
  /** Memory checks to skip after shedding. */
  #cooldown = 0;
  /** Addresses the store may hold (created when the first source is written or an existing store is opened). */
  #bloom: IpBloom | null = null;

  /**
   * `db` is the store, or a function opening one on first need (analyze without --data-dir spills to a temporary store
   * only when its sources outgrow memory).
   */
  constructor(db: Database | (() => Database), o: ScanCacheOptions) {
    this.#o = { now: Date.now, heapUsed: () => process.memoryUsage.rss(), ...o };
    this.#cap = o.maxHot;
    if (typeof db === 'function') {
      this.#open = db;
      this.#coldExists = false;
    } else {
      this.#open = () => db;
      this.#coldExists = this.repo.hasAny();
      if (this.#coldExists) {
        // an existing store: remember what it holds (one pass over the primary key)
        const bloom = (this.#bloom = new IpBloom());
        for (const ip of db.prepare('SELECT ip FROM detect_sources').pluck().iterate()) bloom.add(ip as string);
      }
    }
  }

  /** The repository (opens the store on first use). */
  get repo(): ScanStateRepo {
    if (this.#repo) return this.#repo;
    this.#repo = new ScanStateRepo(this.#open());
    // changes were not tracked until now: everything in memory is written in full at its next save
    for (const s of this.#hot.values()) {
      s.dirty.full = true;
      this.#handed.add(s);
    }
    return this.#repo;
  }

  /** Changes are tracked once a store is open (before that, states are written in full when it opens). */
  get tracksChanges(): boolean {
    return this.#repo !== null;
  }

  /** Whether the store has been opened (and so may hold state). */
  get opened(): boolean {
    return this.#repo !== null;
  }

  /** Whether sources were evicted (the store, not memory, then holds part of the state). */
  get spilled(): boolean {
    return this.stats.evicted > 0;
  }

  /** Sources currently in memory. */
  get hotCount(): number {
    return this.#hot.size;
  }

  /** Hot sources (read-only iteration, e.g. for reports). */
  hot(): IterableIterator<SourceState> {
    return this.#hot.values();
  }

  get(ip: string, key = -1): SourceState | undefined {
    const s = key >= 0 ? this.#hotByKey.get(key) : this.#hot.get(ip);
    if (s) {
      // second chance: eviction skips (and requeues) sources used since it last looked, so hits cost one flag write
      s.dirty.used = true;
      if (this.#repo) this.#handed.add(s);
      return s;
    }
    if (!this.#coldExists || (this.#bloom && !this.#bloom.has(ip))) return undefined;
    const loaded = this.repo.load(ip);
    if (!loaded) return undefined;
    this.stats.reloaded++;
    this.#insert(loaded);
    // it may have been touched earlier in the open interval, before its eviction: keep it in the interval's set
    this.#touched.add(loaded);
    return loaded;
  }

  add(state: SourceState): void {
    this.#insert(state);
  }

  touch(state: SourceState): void {
    this.#touched.add(state);
  }

  forEachTouched(id: number, fn: (s: SourceState) => void, hint?: TouchedHint): void {
    const touched = this.#touched;
    this.#touched = new Set();
    for (const s of touched) {
      if (s.interval !== id) continue;
      fn(s);
      if (this.#repo && this.#hot.get(s.ip) === s) this.#handed.add(s);
    }
    if (!this.#coldExists) return;
    // sources evicted during the interval: load, update and write back without disturbing the hot set
    for (const ip of this.repo.touchedIn(id, hint)) {
      if (this.#hot.has(ip)) continue;
      const s = this.repo.load(ip);
      if (!s) continue;
      fn(s);
      this.repo.save(s, this.#o.now());
      this.stats.saved++;
    }
  }

  expirePairs(cutoff: number, by: 'start' | 'last', candidates: readonly string[]): number {
    if (!this.opened) {
      return expireCandidates(this.#hot, cutoff, by, candidates);
    }
    // the store holds the truth once every hot change is written: expire there and mirror the rows it names in memory
    this.flush();
    const expired = this.repo.expire(cutoff, by);
    for (const [ip, dst] of expired) {
      const s = this.#hot.get(ip);
      const p = s?.pairs.get(dst);
      if (!s || !p?.live) continue;
      expirePair(p);
      markPair(s, dst);
      this.#handed.add(s);
    }
    return expired.length;
  }

  /** Writes every hot source that changed (call inside a transaction, with the offsets the changes cover). */
  flush(): void {
    const now = this.#o.now();
    const repo = this.repo;
    const handed = this.#handed;
    this.#handed = new Set();
    repo.db.transaction(() => {
      for (const s of handed) if (this.#hot.get(s.ip) === s) repo.save(s, now);
    })();
  }

  /** Drops hot sources last seen before `cutoff` (retention pruning deletes them from the store). */
  forget(cutoff: number): void {
    for (const [ip, s] of this.#hot) {
      if (s.lastSeen < cutoff) {
        this.#drop(ip);
        this.#touched.delete(s);
        this.#handed.delete(s);
      }
    }
  }

  #insert(s: SourceState): void {
    // the detector is working on this one: it must survive the eviction its insertion may trigger
    s.dirty.used = true;
    if (this.#repo) this.#handed.add(s);
    else s.dirty.full = true;
    this.#hot.set(s.ip, s);
    const key = ipv4Key(s.ip);
    if (key >= 0) this.#hotByKey.set(key, s);
    if (this.#hot.size > this.stats.peakHot) this.stats.peakHot = this.#hot.size;
    if (this.#hot.size > this.#cap) {
      if (!this.#capNoted) {
        this.#capNoted = true;
        this.#o.notice?.(`more than ${this.#cap} sources active (detect.maxHotSources): the least recently seen are kept in the ` +
          'store and reloaded on their next packet; raise detect.maxHotSources for speed if memory allows');
      }
      this.#evict(Math.max(1, Math.ceil(this.#cap / 10)));
    }
    if (++this.#sinceCheck >= 1000) {
      this.#sinceCheck = 0;
      this.#checkMemory();
    }
  }

  /** Removes a hot source (its state object is no longer the one handed out for the address). */
  #drop(ip: string): void {
    this.#hot.delete(ip);
    const key = ipv4Key(ip);
    if (key >= 0) this.#hotByKey.delete(key);
    this.generation++;
  }

  /** Evicts the `n` least recently used sources (never the most recent one, which the detector is working on). */
  #evict(n: number): void {
    const now = this.#o.now();
    const repo = this.repo;
    let left = Math.min(n, this.#hot.size - 1);
    let budget = this.#hot.size;
    repo.db.transaction(() => {
      for (const [ip, s] of this.#hot) {
        if (left <= 0 || budget-- <= 0) break;
        if (s.dirty.used) {
          s.dirty.used = false;
          this.#hot.delete(ip);
          this.#hot.set(ip, s);
          continue;
        }
        left--;
        repo.save(s, now);
        (this.#bloom ??= new IpBloom()).add(ip);
        this.#drop(ip);
        this.#touched.delete(s);
        this.#handed.delete(s);
        this.stats.evicted++;
      }
    })();
    this.#coldExists = true;
  }

  #checkMemory(): void {
    const used = this.#o.heapUsed();
    const budget = this.#o.memoryBudget;
    // freed state lingers until the collector runs, so after shedding give it time (hysteresis) before judging again
    if (this.#cooldown > 0) {
      this.#cooldown--;
      return;
    }
    if (used < budget * 0.7) {
      // recover towards the configured cap once pressure is gone
      if (this.#cap < this.#o.maxHot && used < budget * 0.5) this.#cap = Math.min(this.#o.maxHot, Math.ceil(this.#cap * 1.25));
      return;
    }
    const before = this.#hot.size;
    this.#cap = Math.max(Math.min(1000, this.#o.maxHot), Math.floor(before * 0.6));
    this.#evict(before - this.#cap);
    this.#cooldown = 20;
    if (!this.#warned) {
      this.#warned = true;
      this.#o.notice?.(`the process reached 70% of detect.memoryBudget (${Math.round(budget / 1048576)} MB): kept ${this.#cap} of ` +
        `${before} sources in memory, the rest in the store; raise detect.memoryBudget (or lower detect.maxHotSources) if this repeats`);
    }
  }
}
