// A bounded cache of hot source state over the store: at most `maxHot` sources (and the memory budget) in the scan
// table, the least recently used evicted to SQLite and reloaded on their next packet, so a spoofed-source flood costs
// disk, not RAM.
import { ipv4Text } from '../domain/int-table.ts';
import { cleanMarks } from '../domain/scan-state.ts';
import type { SourceDirectory, SourceState, TouchedHint } from '../domain/scan-state.ts';
import { exportSource, importSource } from '../domain/scan-table-io.ts';
import { P_BITS, PB_LIVE, PW, S_FLAGS, S_INTERVAL, SB_DIRTY, SB_USED, SF_LAST, SW, ScanTable } from '../domain/scan-table.ts';
import { TouchedSources } from '../domain/touched.ts';
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
  /** Room for 2^tableBits pairs before the table first grows (the input's size says roughly how many will come). */
  tableBits?: number;
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
  readonly table: ScanTable;
  #repo: ScanStateRepo | null = null;
  readonly #open: () => Database;
  readonly stats: CacheStats = { evicted: 0, reloaded: 0, saved: 0, peakHot: 0 };
  /** Hot sources, least recently used first (Set insertion order). */
  readonly #lru = new Set<number>();
  /** See SourceDirectory.generation: bumped when hot sources are dropped. */
  generation = 0;
  readonly #touched = new TouchedSources();
  /** Sources handed out since the last flush (only these can have changed). */
  #handed = new Set<number>();
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
    this.#o = { now: Date.now, heapUsed: () => process.memoryUsage.rss(), tableBits: 12, ...o };
    this.table = new ScanTable(this.#o.tableBits);
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
    for (const id of this.#lru) {
      this.table.marksOf(id).full = true;
      this.#handed.add(id);
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

  /** Whether every source is in memory (none was evicted, the store held none before). */
  get allHot(): boolean {
    return !this.#coldExists;
  }

  /** Sources currently in memory. */
  get hotCount(): number {
    return this.#lru.size;
  }

  /** Ids of the sources in memory. */
  hotIds(): IterableIterator<number> {
    return this.#lru.values();
  }

  /** A snapshot of the source's state (hot, else from the store without making it hot), or undefined. */
  get(ip: string): SourceState | undefined {
    const id = this.table.findSource(ip, -1);
    if (id >= 0) return exportSource(this.table, id);
    if (!this.#coldExists || (this.#bloom && !this.#bloom.has(ip))) return undefined;
    return this.repo.load(ip);
  }

  find(text: string, v4: number): number {
    const t = this.table;
    const id = t.findSource(text, v4);
    if (id >= 0) {
      // second chance: eviction skips (and requeues) sources used since it last looked, so hits cost one flag write
      t.si[id * SW + S_FLAGS]! |= SB_USED;
      if (this.#repo) this.#handed.add(id);
      return id;
    }
    if (!this.#coldExists) return -1;
    const ip = text !== '' ? text : ipv4Text(v4 >>> 0);
    if (this.#bloom && !this.#bloom.has(ip)) return -1;
    const loaded = this.repo.load(ip);
    if (!loaded) return -1;
    this.stats.reloaded++;
    const nid = importSource(t, loaded);
    this.#insert(nid);
    // it may have been touched earlier in the open interval, before its eviction: keep it in the interval's set
    this.#touched.add(t, nid);
    return nid;
  }

  added(id: number): void {
    this.#insert(id);
  }

  touch(id: number): void {
    this.#touched.add(this.table, id);
  }

  forEachTouched(id: number, fn: (s: number) => void, hint?: TouchedHint): void {
    const t = this.table;
    this.#touched.drain(t, (s) => {
      if (t.si[s * SW + S_INTERVAL] !== id) return;
      fn(s);
      if (this.#repo) this.#handed.add(s);
    });
    if (!this.#coldExists) return;
    // sources evicted during the interval: load, update and write back without disturbing the hot set
    for (const ip of this.repo.touchedIn(id, hint)) {
      if (t.findSource(ip, -1) >= 0) continue;
      const s = this.repo.load(ip);
      if (!s) continue;
      const tmp = importSource(t, s);
      fn(tmp);
      this.#save(tmp, this.#o.now());
      t.removeSource(tmp);
      this.generation++;
      this.stats.saved++;
    }
  }

  expirePairs(cutoff: number, by: 'start' | 'last', all: boolean): number {
    const t = this.table;
    if (!this.opened) return all ? t.expireAll(cutoff, by) : 0;
    // the store holds the truth once every hot change is written: expire there and mirror the rows it names in memory
    this.flush();
    const expired = this.repo.expire(cutoff, by);
    for (const [ip, dst] of expired) {
      const s = t.findSource(ip, -1);
      const d = s < 0 ? -1 : t.dsts.peek(dst);
      const p = d < 0 ? -1 : t.findPair(s, d);
      if (p < 0 || (t.pi[p * PW + P_BITS]! & PB_LIVE) === 0) continue;
      t.expire(p);
      (t.marksOf(s).pairs ??= new Set()).add(dst);
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
      for (const id of handed) if (this.table.has(id)) this.#save(id, now);
    })();
  }

  /** Writes one source's changes and clears its marks. */
  #save(id: number, now: number): void {
    const t = this.table;
    const m = t.marks[id];
    const changed = (t.si[id * SW + S_FLAGS]! & SB_DIRTY) !== 0 || (m ? m.full || m.pairs || m.ports || m.sigs : false)
      || (m?.historyWritten ?? 0) !== t.historyLength(id);
    if (!changed) return;
    const s = exportSource(t, id);
    this.repo.save(s, now);
    t.marks[id] = cleanMarks(s.history.length);
    t.si[id * SW + S_FLAGS]! &= ~SB_DIRTY;
  }

  /** Drops hot sources last seen before `cutoff` (retention pruning deletes them from the store). */
  forget(cutoff: number): void {
    const t = this.table;
    for (const id of [...this.#lru]) {
      if (t.sf[id * SW / 2 + SF_LAST]! < cutoff) {
        this.#touched.remove(t, id);
        this.#handed.delete(id);
        this.#drop(id);
      }
    }
  }

  #insert(id: number): void {
    const t = this.table;
    // the detector is working on this one: it must survive the eviction its insertion may trigger
    t.si[id * SW + S_FLAGS]! |= SB_USED;
    // without a store nothing is tracked: opening one (the repo getter) marks every source in memory for a full write
    if (this.#repo) this.#handed.add(id);
    this.#lru.add(id);
    if (this.#lru.size > this.stats.peakHot) this.stats.peakHot = this.#lru.size;
    if (this.#lru.size > this.#cap) {
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

  /** Removes a hot source (its id may be handed out again). */
  #drop(id: number): void {
    this.#lru.delete(id);
    this.table.removeSource(id);
    this.generation++;
  }

  /** Evicts the `n` least recently used sources (never the most recent one, which the detector is working on). */
  #evict(n: number): void {
    const now = this.#o.now();
    const repo = this.repo;
    const t = this.table;
    let left = Math.min(n, this.#lru.size - 1);
    let budget = this.#lru.size;
    repo.db.transaction(() => {
      for (const id of this.#lru) {
        if (left <= 0 || budget-- <= 0) break;
        const f = id * SW + S_FLAGS;
        if ((t.si[f]! & SB_USED) !== 0) {
          t.si[f]! &= ~SB_USED;
          this.#lru.delete(id);
          this.#lru.add(id);
          continue;
        }
        left--;
        const ip = t.ip[id]!;
        this.#save(id, now);
        (this.#bloom ??= new IpBloom()).add(ip);
        this.#touched.remove(t, id);
        this.#handed.delete(id);
        this.#drop(id);
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
    const before = this.#lru.size;
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
