// A bounded cache of serialised profiles keyed by address and profile version (two generations): GET /sources/{ip} answers from it after one indexed read.

/** One cached answer: the body as sent (UTF-8 bytes) and the header values that go with it. */
export interface CachedProfile {
  /** The profile version the body was made from (sources.version). */
  version: number;
  /** The JSON body, already encoded: a hit costs no serialisation, no UTF-8 encoding and no length scan. */
  body: Buffer;
  /** The ETag header value, quoted. */
  etag: string;
  /** The Last-Modified header value (HTTP date). */
  lastModified: string;
}

/** Bytes an entry holds: the body, the header strings, the address key, and the objects and map slot around them. */
function footprint(ip: string, e: CachedProfile): number {
  return e.body.length + e.etag.length + e.lastModified.length + ip.length + 200;
}

/** A body in its own exact-size allocation: a pooled Buffer would keep its whole 8 KiB pool slab alive in the cache. */
export function ownedUtf8(json: string): Buffer {
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(json, 'utf8'));
  b.write(json, 0, 'utf8');
  return b;
}

/** Bits of the doorkeeper (128 KiB): cleared after BITS / 8 marks, so a false "seen before" stays under 5 %. */
const DOOR_BITS = 1 << 20;

/** FNV-1a of a string's UTF-16 units: two bit positions of the doorkeeper from one pass. */
function doorHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** An entry and the bytes it is counted for. */
interface Slot {
  entry: CachedProfile;
  size: number;
}

/**
 * Every change to any part of a profile bumps the source's version in the same transaction (ChangeLog.touch), so an
 * entry is valid exactly while the stored version equals its own: no expiry, no invalidation messages, and a
 * concurrent writer (ingest, another process) can never make it serve a stale body under a fresh ETag.
 *
 * Eviction is by generation, not by exact recency: new and recently hit entries go into the young map; when it holds
 * half the bound, it becomes the old map and the previous old map is dropped whole. A hit in the old map moves the
 * entry back to the young one. So an entry used within the last half-bound of insertions is always kept, and nothing
 * is ever scanned. (An exact LRU over one Map cost ~20 µs per insertion under random lookups: eviction iterated from
 * the Map's head, which after many deletions is a run of holes V8 only compacts on rehash.)
 */
export class ProfileJsonCache {
  /** Bytes each generation may hold. */
  readonly #half: number;
  #young = new Map<string, Slot>();
  #old = new Map<string, Slot>();
  #youngBytes = 0;
  #oldBytes = 0;
  /** Addresses asked for since the doorkeeper was last cleared (a Bloom filter of two positions per address). */
  readonly #door = new Uint32Array(DOOR_BITS / 32);
  #doorMarks = 0;
  hits = 0;
  misses = 0;

  /** `maxBytes` bounds the memory of the kept bodies (0 turns caching off). */
  constructor(maxBytes: number) {
    this.#half = Math.floor(maxBytes / 2);
  }

  /** The answer for `ip` at `version`, or undefined (absent, older version, or evicted). */
  get(ip: string, version: number): CachedProfile | undefined {
    const y = this.#young.get(ip);
    if (y !== undefined) {
      if (y.entry.version === version) {
        this.hits++;
        return y.entry;
      }
      this.misses++;
      return undefined;
    }
    const o = this.#old.get(ip);
    if (o?.entry.version !== version) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#old.delete(ip);
    this.#oldBytes -= o.size;
    this.#addYoung(ip, o);
    return o.entry;
  }

  /** Whether some version of `ip`'s answer is kept (no hit or miss counted). */
  has(ip: string): boolean {
    return this.#young.has(ip) || this.#old.has(ip);
  }

  /**
   * Whether `ip` was asked for before (since the doorkeeper was last cleared); marks it asked for. A cheap answer (a
   * stored body, one row away) is only cached on its second request: a stream of distinct addresses, one request each
   * (a SIEM walking its logs, a scan of the address space), then never displaces the working set, and the collector
   * has no flood of short-lived entries to clear.
   */
  seenBefore(ip: string): boolean {
    const h = doorHash(ip);
    const a = h & (DOOR_BITS - 1);
    const b = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 12;
    const door = this.#door;
    const seen = (door[a >>> 5]! & (1 << (a & 31))) !== 0 && (door[b >>> 5]! & (1 << (b & 31))) !== 0;
    if (!seen) {
      if (++this.#doorMarks > DOOR_BITS / 8) {
        door.fill(0);
        this.#doorMarks = 1;
      }
      door[a >>> 5]! |= 1 << (a & 31);
      door[b >>> 5]! |= 1 << (b & 31);
    }
    return seen;
  }

  /** Keeps the answer for `ip`; the oldest generation goes when the young one is full. */
  set(ip: string, entry: CachedProfile): void {
    const size = footprint(ip, entry);
    const y = this.#young.get(ip);
    if (y !== undefined) {
      this.#young.delete(ip);
      this.#youngBytes -= y.size;
    }
    const o = this.#old.get(ip);
    if (o !== undefined) {
      this.#old.delete(ip);
      this.#oldBytes -= o.size;
    }
    if (size > this.#half) return;
    this.#addYoung(ip, { entry, size });
  }

  #addYoung(ip: string, slot: Slot): void {
    if (this.#youngBytes + slot.size > this.#half) {
      this.#old = this.#young;
      this.#oldBytes = this.#youngBytes;
      this.#young = new Map();
      this.#youngBytes = 0;
    }
    this.#young.set(ip, slot);
    this.#youngBytes += slot.size;
  }

  /** Drops everything (the profile shape changed: configuration reloaded). */
  clear(): void {
    this.#young = new Map();
    this.#old = new Map();
    this.#youngBytes = 0;
    this.#oldBytes = 0;
  }

  /** Entries and bytes held. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#young.size + this.#old.size, bytes: this.#youngBytes + this.#oldBytes };
  }
}
