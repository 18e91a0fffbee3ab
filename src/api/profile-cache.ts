// A bounded LRU of serialised profiles keyed by address and profile version: GET /sources/{ip} answers from it after one indexed read.

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

/**
 * Every change to any part of a profile bumps the source's version in the same transaction (ChangeLog.touch), so an
 * entry is valid exactly while the stored version equals its own: no expiry, no invalidation messages, and a
 * concurrent writer (ingest, another process) can never make it serve a stale body under a fresh ETag.
 */
export class ProfileJsonCache {
  readonly #max: number;
  #bytes = 0;
  // Map keeps insertion order: re-inserting on a hit makes the first key the least recently used
  readonly #entries = new Map<string, { entry: CachedProfile; size: number }>();
  hits = 0;
  misses = 0;

  /** `maxBytes` bounds the memory of the kept bodies (0 turns caching off). */
  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** The answer for `ip` at `version`, or undefined (absent, older version, or evicted). */
  get(ip: string, version: number): CachedProfile | undefined {
    const e = this.#entries.get(ip);
    if (e?.entry.version !== version) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(ip);
    this.#entries.set(ip, e);
    return e.entry;
  }

  /** Keeps the answer for `ip`, evicting the least recently used answers past the bound. */
  set(ip: string, entry: CachedProfile): void {
    const size = footprint(ip, entry);
    if (size > this.#max) return;
    const old = this.#entries.get(ip);
    if (old) {
      this.#bytes -= old.size;
      this.#entries.delete(ip);
    }
    this.#entries.set(ip, { entry, size });
    this.#bytes += size;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.#max) break;
      this.#entries.delete(k);
      this.#bytes -= e.size;
    }
  }

  /** Drops everything (the profile shape changed: configuration reloaded). */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Entries and bytes held. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }
}
