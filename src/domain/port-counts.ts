// Packets per (source, protocol and port) for the scan table: the counters sit in the hash index itself, so counting a
// packet costs one cache miss; a list per source (for profiles and eviction) is kept beside it.
import { mix2 } from './id-index.ts';

/** Counters keyed (source id, protoCode * 65536 + port). */
export class PortCounts {
  #bits: number;
  /** [source, key, packets] per slot; source -1 = empty. Up to 70% full: a smaller table misses the cache less. */
  #slots: Int32Array;
  #size = 0;
  /** [source, key, next] per entry: each source's keys, newest first. */
  #entries: Int32Array;
  #used = 0;
  #free = -1;
  /** First entry per source id (-1 = none). */
  #heads = new Int32Array(256).fill(-1);

  constructor(bits = 12) {
    this.#bits = bits;
    this.#slots = new Int32Array(3 << this.#bits).fill(-1);
    this.#entries = new Int32Array(3 << bits);
  }

  /** Counters held. */
  get size(): number {
    return this.#size;
  }

  /** Adds `n` packets to (s, key); returns the new count. */
  add(s: number, key: number, n = 1): number {
    const bits = this.#bits;
    const mask = (1 << bits) - 1;
    const slots = this.#slots;
    let i = mix2(s, key) >>> (32 - bits);
    for (; ; i = (i + 1) & mask) {
      const q = 3 * i;
      const x = slots[q]!;
      if (x < 0) break;
      if (x === s && slots[q + 1] === key) return (slots[q + 2]! += n);
    }
    let e = this.#free;
    let entries = this.#entries;
    if (e >= 0) {
      this.#free = entries[3 * e + 2]!;
    } else {
      e = this.#used++;
      if (3 * (e + 1) > entries.length) {
        const grown = new Int32Array(entries.length * 2);
        grown.set(entries);
        this.#entries = entries = grown;
      }
    }
    let heads = this.#heads;
    if (s >= heads.length) {
      const grown = new Int32Array(Math.max(s + 1, heads.length * 2)).fill(-1);
      grown.set(heads);
      this.#heads = heads = grown;
    }
    entries[3 * e] = s;
    entries[3 * e + 1] = key;
    entries[3 * e + 2] = heads[s]!;
    heads[s] = e;
    const q = 3 * i;
    slots[q] = s;
    slots[q + 1] = key;
    slots[q + 2] = n;
    if (++this.#size * 10 > (mask + 1) * 7) this.#grow();
    return n;
  }

  /** The packets of (s, key) (0 when none). */
  count(s: number, key: number): number {
    const i = this.#find(s, key);
    return i < 0 ? 0 : this.#slots[3 * i + 2]!;
  }

  /** The source's keys, newest first, with their counts. */
  forSource(s: number, fn: (key: number, n: number) => void): void {
    const entries = this.#entries;
    for (let e = s < this.#heads.length ? this.#heads[s]! : -1; e >= 0; e = entries[3 * e + 2]!) {
      const key = entries[3 * e + 1]!;
      fn(key, this.count(s, key));
    }
  }

  /** Every counter: fn(source, key, packets). */
  forEach(fn: (s: number, key: number, n: number) => void): void {
    const slots = this.#slots;
    for (let q = 0; q < slots.length; q += 3) if (slots[q]! >= 0) fn(slots[q]!, slots[q + 1]!, slots[q + 2]!);
  }

  /**
   * Packets per key over all sources, indexed by key (protoCode * 65536 + port; room for `codes` protocol codes). One
   * pass over the slots in memory order: the report's port totals cost a few milliseconds instead of a map update for
   * each of a million counters.
   */
  totalsByKey(codes = 3): Float64Array {
    const out = new Float64Array(codes * 65536);
    const slots = this.#slots;
    for (let q = 0; q < slots.length; q += 3) {
      if (slots[q]! < 0) continue;
      const k = slots[q + 1]!;
      if (k >= 0 && k < out.length) out[k]! += slots[q + 2]!;
    }
    return out;
  }

  /** Drops every counter of source `s`. */
  removeSource(s: number): void {
    if (s >= this.#heads.length) return;
    const entries = this.#entries;
    for (let e = this.#heads[s]!; e >= 0;) {
      const next = entries[3 * e + 2]!;
      const i = this.#find(s, entries[3 * e + 1]!);
      if (i >= 0) this.#deleteSlot(i);
      entries[3 * e] = -1;
      entries[3 * e + 2] = this.#free;
      this.#free = e;
      e = next;
    }
    this.#heads[s] = -1;
  }

  #find(s: number, key: number): number {
    const bits = this.#bits;
    const mask = (1 << bits) - 1;
    const slots = this.#slots;
    for (let i = mix2(s, key) >>> (32 - bits); ; i = (i + 1) & mask) {
      const q = 3 * i;
      const x = slots[q]!;
      if (x < 0) return -1;
      if (x === s && slots[q + 1] === key) return i;
    }
  }

  /** Empties slot i, moving later entries of its run back where their home allows (no tombstones). */
  #deleteSlot(i: number): void {
    const bits = this.#bits;
    const mask = (1 << bits) - 1;
    const slots = this.#slots;
    let hole = i;
    for (let j = (i + 1) & mask; slots[3 * j]! >= 0; j = (j + 1) & mask) {
      const home = mix2(slots[3 * j]!, slots[3 * j + 1]!) >>> (32 - bits);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[3 * hole] = slots[3 * j]!;
        slots[3 * hole + 1] = slots[3 * j + 1]!;
        slots[3 * hole + 2] = slots[3 * j + 2]!;
        hole = j;
      }
    }
    slots[3 * hole] = -1;
    this.#size--;
  }

  #grow(): void {
    const old = this.#slots;
    this.#bits++;
    const bits = this.#bits;
    const mask = (1 << bits) - 1;
    const slots = (this.#slots = new Int32Array(3 << bits).fill(-1));
    for (let q = 0; q < old.length; q += 3) {
      const src = old[q]!;
      if (src < 0) continue;
      let i = mix2(src, old[q + 1]!) >>> (32 - bits);
      while (slots[3 * i]! >= 0) i = (i + 1) & mask;
      const r = 3 * i;
      slots[r] = src;
      slots[r + 1] = old[q + 1]!;
      slots[r + 2] = old[q + 2]!;
    }
  }
}
