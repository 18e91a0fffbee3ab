// p0f's host table (process.c host_by_age + host hash) as numbers only: typed-array slabs indexed by host id, an open-addressing index.

/** Host record layout: 16 int32 words (one 64-byte cache line) per host id. */
const STRIDE = 16;
const K0 = 0, K1 = 1, K2 = 2, K3 = 3, FAM = 4, HASH = 5, USE = 6, OLDER = 7, NEWER = 8, FLOWS = 9, LIVE = 10;
/** lastSeen is a float64 in words 12–13 (float64 index id * 8 + 6). */
const SEEN64 = 6;

/**
 * Hosts by address, each with p0f's use count and last-seen time, on an oldest→newest list. A host is a small integer
 * id into one typed array (a cache line per host: a host touched at random costs one memory access, not one per
 * field), so a SYN flood from ever-new sources allocates nothing and the GC never walks the table.
 *
 * Addresses are four 32-bit words (IPv4: the address, then zeros) plus the family. The index is open addressing with
 * linear probing and backward-shift deletion (no tombstones: p0f's pruning deletes on almost every new host), at
 * most half full.
 */
export class HostTable {
  /** Live hosts. */
  size = 0;
  /** Oldest and newest host ids (-1: none). */
  oldest = -1;
  newest = -1;
  /** Hosts destroyed so far: an id found before a destruction may since have been reused. */
  destroyed = 0;

  /** The records (int32 view) and the same memory as float64 (for lastSeen). */
  #m = new Int32Array(0);
  #f = new Float64Array(0);
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

  /** The id of the host with this address, or -1. */
  find(fam: number, a: number, b: number, c: number, d: number): number {
    const h = hashAddr(fam, a, b, c, d);
    const slots = this.#slots;
    const mask = this.#mask;
    const m = this.#m;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[2 * i]!;
      if (s === 0) return -1;
      if (slots[2 * i + 1] !== h) continue;
      const r = (s - 1) * STRIDE;
      if (m[r + K0] === a && m[r + K1] === b && m[r + K2] === c && m[r + K3] === d && m[r + FAM] === fam) return s - 1;
    }
  }

  /** Whether host `id` is live and has this address (an id remembered across a prune may have been reused). */
  is(id: number, fam: number, a: number, b: number, c: number, d: number): boolean {
    if (id < 0) return false;
    const m = this.#m;
    const r = id * STRIDE;
    return m[r + LIVE] === 1 && m[r + K0] === a && m[r + K1] === b && m[r + K2] === c && m[r + K3] === d && m[r + FAM] === fam;
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

  /** Last-seen time in seconds. */
  lastSeen(id: number): number {
    return this.#f[id * (STRIDE / 2) + SEEN64]!;
  }

  /** The first flow in which the host is the client (-1: none); the flow table links the rest. */
  flowHead(id: number): number {
    return this.#m[id * STRIDE + FLOWS]!;
  }

  setFlowHead(id: number, f: number): void {
    this.#m[id * STRIDE + FLOWS] = f;
  }

  /** Adds a host (the address must not be present) as the newest, with use count 0; returns its id. */
  create(fam: number, a: number, b: number, c: number, d: number, now: number): number {
    let id: number;
    if (this.#freeTop > 0) id = this.#free[--this.#freeTop]!;
    else {
      if (this.#next === this.#cap) this.#grow(this.#cap * 2);
      id = this.#next++;
    }
    const h = hashAddr(fam, a, b, c, d);
    const m = this.#m;
    const r = id * STRIDE;
    m[r + K0] = a; m[r + K1] = b; m[r + K2] = c; m[r + K3] = d; m[r + FAM] = fam; m[r + HASH] = h;
    m[r + USE] = 0; m[r + FLOWS] = -1; m[r + LIVE] = 1;
    this.#f[id * (STRIDE / 2) + SEEN64] = now;
    this.#append(id);
    if ((this.size + 1) * 2 > this.#mask + 1) this.#growIndex();
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
    this.#f[id * (STRIDE / 2) + SEEN64] = now;
  }

  /** Removes a host (its use count must be 0, so no flow refers to it). */
  destroy(id: number): void {
    this.destroyed++;
    this.#unlink(id);
    const m = this.#m;
    m[id * STRIDE + LIVE] = 0;
    this.size--;
    const slots = this.#slots;
    const mask = this.#mask;
    let i = m[id * STRIDE + HASH]! & mask;
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
    const buf = new ArrayBuffer(cap * STRIDE * 4);
    const m = new Int32Array(buf);
    m.set(this.#m);
    this.#m = m;
    this.#f = new Float64Array(buf);
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
