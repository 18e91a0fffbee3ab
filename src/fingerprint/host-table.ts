// p0f's host table (process.c host_by_age + host hash) as numbers only: typed-array slabs indexed by host id, an open-addressing index.

/**
 * Host record layout: 8 int32 words (32 bytes) per host id — the first address word, the family (0 once destroyed),
 * p0f's use_cnt, the by-age links, the head of the host's client flows, last_seen (seconds, modulo 2^32 like p0f's
 * u32) and the address's hash (so removing a host never reads its address again). IPv6 hosts keep their other three
 * address words in a side array, read only when the first word already matches.
 */
const STRIDE = 8;
const K0 = 0, FAM = 1, USE = 2, OLDER = 3, NEWER = 4, FLOWS = 5, SEEN = 6, HASH = 7;

/**
 * Hosts by address, each with p0f's use count and last-seen time, on an oldest→newest list. A host is a small integer
 * id into one typed array (half a cache line per host), so a SYN flood from ever-new sources allocates nothing, the GC
 * never walks the table, and p0f's 10,000 hosts and their index take ~450 KiB of cache rather than megabytes.
 *
 * The index is open addressing with linear probing and backward-shift deletion (no tombstones: p0f's pruning deletes
 * on almost every new host), at most 5/8 full.
 */
export class HostTable {
  /** Live hosts. */
  size = 0;
  /** Oldest and newest host ids (-1: none). */
  oldest = -1;
  newest = -1;
  /** Hosts destroyed so far: an id found before a destruction may since have been reused. */
  destroyed = 0;

  /** The records. */
  #m = new Int32Array(0);
  /** Address words 1–3 per host id (zeros for IPv4). */
  #k6 = new Int32Array(0);
  #cap = 0;
  /** Unused ids (a stack) and the next never-used id. */
  #free = new Int32Array(0);
  #freeTop = 0;
  #next = 0;
  /**
   * Open-addressing index: per slot the host id + 1 (0: empty) and the host's hash, so probing and deleting read
   * only the index, never the records of other hosts.
   */
  #slots = new Int32Array(128);
  #mask = 63;

  constructor(capacity = 1024) {
    this.#grow(Math.max(16, capacity));
  }

  /** The id of the host with this address and hash (hashAddr), or -1. */
  find(h: number, fam: number, a: number, b: number, c: number, d: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    const m = this.#m;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[2 * i]!;
      if (s === 0) return -1;
      if (slots[2 * i + 1] !== h) continue;
      const r = (s - 1) * STRIDE;
      if (m[r + K0] === a && m[r + FAM] === fam && (fam === 4 || this.#same6(s - 1, b, c, d))) return s - 1;
    }
  }

  /** Whether host `id` is live and has this address (an id remembered across a prune may have been reused). */
  is(id: number, fam: number, a: number, b: number, c: number, d: number): boolean {
    if (id < 0) return false;
    const m = this.#m;
    const r = id * STRIDE;
    return m[r + K0] === a && m[r + FAM] === fam && (fam === 4 || this.#same6(id, b, c, d));
  }

  #same6(id: number, b: number, c: number, d: number): boolean {
    const k = this.#k6;
    return k[3 * id] === b && k[3 * id + 1] === c && k[3 * id + 2] === d;
  }

  /** p0f's use_cnt: flows using the host. */
  useCount(id: number): number {
    return this.#m[id * STRIDE + USE]!;
  }

  /** Adds `d` to the use count. */
  use(id: number, d: number): void {
    this.#m[id * STRIDE + USE]! += d;
  }

  /** The next newer host (-1: none). */
  newer(id: number): number {
    return this.#m[id * STRIDE + NEWER]!;
  }

  /** Last-seen time in seconds, modulo 2^32 as a signed 32-bit value: compare times with `((now - seen) >>> 0)`. */
  lastSeen(id: number): number {
    return this.#m[id * STRIDE + SEEN]!;
  }

  /** The first flow in which the host is the client (-1: none); the flow table links the rest. */
  flowHead(id: number): number {
    return this.#m[id * STRIDE + FLOWS]!;
  }

  setFlowHead(id: number, f: number): void {
    this.#m[id * STRIDE + FLOWS] = f;
  }

  /** Adds a host (the address, of hash `h`, must not be present) as the newest, with use count 0; returns its id. */
  create(h: number, fam: number, a: number, b: number, c: number, d: number, now: number): number {
    let id: number;
    if (this.#freeTop > 0) id = this.#free[--this.#freeTop]!;
    else {
      if (this.#next === this.#cap) this.#grow(this.#cap * 2);
      id = this.#next++;
    }
    const m = this.#m;
    const r = id * STRIDE;
    m[r + K0] = a; m[r + FAM] = fam; m[r + USE] = 0; m[r + FLOWS] = -1; m[r + SEEN] = now; m[r + HASH] = h;
    if (fam !== 4) {
      const k = this.#k6;
      k[3 * id] = b; k[3 * id + 1] = c; k[3 * id + 2] = d;
    }
    this.#append(id);
    if ((this.size + 1) * 8 > (this.#mask + 1) * 5) this.#growIndex();
    const slots = this.#slots;
    const mask = this.#mask;
    let i = h & mask;
    while (slots[2 * i] !== 0) i = (i + 1) & mask;
    slots[2 * i] = id + 1;
    slots[2 * i + 1] = h;
    this.size++;
    return id;
  }

  /** touch_host: moves `id` to the newest end and stamps it. */
  touch(id: number, now: number): void {
    if (id !== this.newest) {
      this.#unlink(id);
      this.#append(id);
    }
    this.#m[id * STRIDE + SEEN] = now;
  }

  /** Removes a host (its use count must be 0, so no flow refers to it). */
  destroy(id: number): void {
    this.destroyed++;
    this.#unlink(id);
    const m = this.#m;
    const r = id * STRIDE;
    const h = m[r + HASH]!;
    m[r + FAM] = 0;
    this.size--;
    const slots = this.#slots;
    const mask = this.#mask;
    let i = h & mask;
    while (slots[2 * i] !== id + 1) i = (i + 1) & mask;
    // backward shift: pull later members of the probe run into the hole, so no tombstone is needed
    let hole = i;
    for (let j = (i + 1) & mask; slots[2 * j] !== 0; j = (j + 1) & mask) {
      const home = slots[2 * j + 1]! & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[2 * hole] = slots[2 * j]!;
        slots[2 * hole + 1] = slots[2 * j + 1]!;
        hole = j;
      }
    }
    slots[2 * hole] = 0;
    this.#free[this.#freeTop++] = id;
  }

  #append(id: number): void {
    const m = this.#m;
    const n = this.newest;
    m[id * STRIDE + OLDER] = n;
    m[id * STRIDE + NEWER] = -1;
    if (n !== -1) m[n * STRIDE + NEWER] = id;
    else this.oldest = id;
    this.newest = id;
  }

  #unlink(id: number): void {
    const m = this.#m;
    const o = m[id * STRIDE + OLDER]!;
    const n = m[id * STRIDE + NEWER]!;
    if (n !== -1) m[n * STRIDE + OLDER] = o;
    else this.newest = o;
    if (o !== -1) m[o * STRIDE + NEWER] = n;
    else this.oldest = n;
  }

  #grow(cap: number): void {
    const m = new Int32Array(cap * STRIDE);
    m.set(this.#m);
    this.#m = m;
    const k6 = new Int32Array(cap * 3);
    k6.set(this.#k6);
    this.#k6 = k6;
    const free = new Int32Array(cap);
    free.set(this.#free);
    this.#free = free;
    this.#cap = cap;
  }

  #growIndex(): void {
    const old = this.#slots;
    const cap = (this.#mask + 1) * 2;
    const slots = new Int32Array(2 * cap);
    const mask = cap - 1;
    for (let k = 0; k < old.length; k += 2) {
      if (old[k] === 0) continue;
      let i = old[k + 1]! & mask;
      while (slots[2 * i] !== 0) i = (i + 1) & mask;
      slots[2 * i] = old[k]!;
      slots[2 * i + 1] = old[k + 1]!;
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}

/** A well-mixed 32-bit hash of an address (low bits usable as a slot number). */
export function hashAddr(fam: number, a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ fam, 0x9e3779b1);
  h = Math.imul(h ^ b ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ c ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ d ^ (h >>> 16), 0x9e3779b1);
  return h ^ (h >>> 15);
}
