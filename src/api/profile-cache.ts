// A bounded LRU of serialised profiles keyed by address and profile version: GET /sources/{ip} answers from it after one indexed read.
/** Bytes an entry holds: V8 keeps Latin-1 strings at one byte per character, others at two; plus the map entry. */
function footprint(ip: string, json: string): number {
  // eslint-disable-next-line no-control-regex -- the test is for code points above Latin-1
  return (/[^\u0000-\u00ff]/.test(json) ? 2 : 1) * json.length + ip.length + 96;
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
  readonly #entries = new Map<string, { version: number; json: string; size: number }>();
  hits = 0;
  misses = 0;

  /** `maxBytes` bounds the memory of the kept bodies (0 turns caching off). */
  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** The body of `ip` at `version`, or undefined (absent, older version, or evicted). */
  get(ip: string, version: number): string | undefined {
    const e = this.#entries.get(ip);
    if (e?.version !== version) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(ip);
    this.#entries.set(ip, e);
    return e.json;
  }

  /** Keeps the body of `ip` at `version`, evicting the least recently used bodies past the bound. */
  set(ip: string, version: number, json: string): void {
    const size = footprint(ip, json);
    if (size > this.#max) return;
    const old = this.#entries.get(ip);
    if (old) {
      this.#bytes -= old.size;
      this.#entries.delete(ip);
    }
    this.#entries.set(ip, { version, json, size });
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
