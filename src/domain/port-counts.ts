// Packets per (source, protocol and port) for the scan table: the counters sit in the hash index itself, and a list
// per source (for profiles and eviction) is kept beside it. Single packets are counted in batches, in the order of the
// table's memory (see #flush); every read counts what is pending first.
import { mix2 } from './id-index.ts';

/** Batches are ordered by the top RADIX bits of the hash: 2,048 runs, each falling in 1/2,048 of the table. */
const RADIX = 11;

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
  /**
   * Single packets not yet counted, [source, key] each, up to #batch of them. Counted one by one, each packet cost a
   * cache miss in a table of many MiB (a million of them on the benchmark log, ~10 % of analyze's time): a batch put
   * in the order of the slots its keys hash to reads the table nearly in memory order.
   */
  readonly #pend: Int32Array;
  #pn = 0;
  readonly #batch: number;
  /**
   * Where the pending batch is counted: 256 packets the first time, twice as many each time after, up to #batch. The
   * first flush then comes early, while the code that adds packets still runs unoptimized: V8 had optimized it by the
   * time a full first batch was due, and reaching the flush call for the first time (a call it had never seen run)
   * threw that code away, to be compiled again. Growing batches call #flush a dozen times early: V8 then compiles it
   * whole, where a jump straight to #batch left its loops to baseline code at the start of every call (a call per
   * 131,072 packets; 0.4 % of the benchmark run).
   */
  #limit: number;
  /** The batch in slot order, [source, key, position in the batch] each; whether each position made a new counter. */
  readonly #sorted: Int32Array;
  readonly #fresh: Uint8Array;
  readonly #runs = new Int32Array((1 << RADIX) + 1);

  /**
   * Index slots for 2^bits counters (filled up to 70 %) and batches of 2^batchBits packets, at most 2^17 (a batch
   * holds 21 bytes a packet: 2.6 MiB at most). Batches of 2^19 read the index no faster (within noise on the benchmark
   * log) and took 8 MiB more memory, which a virtual machine makes costly: ~1-2 ms of system time per MiB touched for
   * the first time here.
   */
  constructor(bits = 12, batchBits = bits) {
    this.#bits = bits;
    this.#slots = new Int32Array(3 << this.#bits).fill(-1);
    // as many entries as the index holds before it grows (70 %): more would be memory cleared and never used
    this.#entries = new Int32Array(3 * (Math.ceil(0.7 * (1 << bits)) + 1));
    this.#batch = 1 << Math.min(17, Math.max(8, batchBits));
    this.#pend = new Int32Array(2 * this.#batch);
    this.#sorted = new Int32Array(3 * this.#batch);
    this.#fresh = new Uint8Array(this.#batch);
    // Fields that change later are stored a second time here. V8 treats a field stored only once as a constant that
    // optimized code may build in, and throws that code away when the field first changes: the index and lists when
    // they grow, the batch limit after the first batch — each cost a recompilation of the counting code (~3-5 ms).
    this.#slots = this.#slots.subarray(0);
    this.#entries = this.#entries.subarray(0);
    this.#heads = this.#heads.subarray(0);
    this.#limit = this.#batch;
    this.#limit = Math.min(256, this.#batch);
  }

  /** Counters held. */
  get size(): number {
    this.#flush();
    return this.#size;
  }

  /** Adds `n` packets to (s, key). One packet joins the pending batch; more are counted at once. */
  add(s: number, key: number, n = 1): void {
    if (n === 1) {
      if (this.#pn >= this.#limit) {
        this.#flush();
        this.#limit = Math.min(this.#batch, 2 * this.#limit);
      }
      const k = 2 * this.#pn++;
      this.#pend[k] = s;
      this.#pend[k + 1] = key;
      return;
    }
    this.#flush();
    if (this.#count(s, key, n)) this.#link(s, key);
  }

  /**
   * Counts the pending batch. A counting sort by the top bits of each key's hash puts it in the order of the slots the
   * keys start probing at (the index's growth keeps that order: a slot's home is the hash's top bits); the counters are
   * then found or made run by run, each run in a small part of the table. New keys join their source's list afterwards,
   * in the order of their first packets, as one by one.
   */
  #flush(): void {
    const n = this.#pn;
    if (n === 0) return;
    this.#pn = 0;
    const pend = this.#pend;
    const runs = this.#runs;
    const sorted = this.#sorted;
    const fresh = this.#fresh;
    const shift = 32 - RADIX;
    runs.fill(0);
    for (let i = 0; i < n; i++) runs[(mix2(pend[2 * i]!, pend[2 * i + 1]!) >>> shift) + 1]!++;
    for (let r = 1; r < runs.length; r++) runs[r]! += runs[r - 1]!;
    for (let i = 0; i < n; i++) {
      const s = pend[2 * i]!;
      const key = pend[2 * i + 1]!;
      const q = 3 * runs[mix2(s, key) >>> shift]!++;
      sorted[q] = s;
      sorted[q + 1] = key;
      sorted[q + 2] = i;
    }
    for (let j = 0; j < n; j++) fresh[sorted[3 * j + 2]!] = this.#count(sorted[3 * j]!, sorted[3 * j + 1]!, 1) ? 1 : 0;
    for (let i = 0; i < n; i++) if (fresh[i] === 1) this.#link(pend[2 * i]!, pend[2 * i + 1]!);
  }

  /** Adds n to (s, key)'s counter in the index; whether the counter is new. */
  #count(s: number, key: number, n: number): boolean {
    const bits = this.#bits;
    const mask = (1 << bits) - 1;
    const slots = this.#slots;
    let i = mix2(s, key) >>> (32 - bits);
    for (; ; i = (i + 1) & mask) {
      const q = 3 * i;
      const x = slots[q]!;
      if (x < 0) break;
      if (x === s && slots[q + 1] === key) {
        slots[q + 2]! += n;
        return false;
      }
    }
    const q = 3 * i;
    slots[q] = s;
    slots[q + 1] = key;
    slots[q + 2] = n;
    if (++this.#size * 10 > (mask + 1) * 7) this.#grow();
    return true;
  }

  /** Puts a new key at the head of its source's list. */
  #link(s: number, key: number): void {
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
  }

  /**
   * The counters of the sources `slot` marks (slot[s] = group + 1; 0 or out of range: not wanted), by group: group g's
   * keys and packets are keys/counts[start[g], start[g + 1]), in slot order. Two passes over the slots in memory order
   * (count, then fill: typed arrays, no lists growing), each a loop of its own method, without callbacks: a walk
   * through forEach() ran its two callbacks half in baseline code and compiled forEach twice.
   */
  gather(slot: Int32Array, groups: number): { start: Int32Array; keys: Int32Array; counts: Float64Array } {
    this.#flush();
    const start = new Int32Array(groups + 1);
    this.#gatherCount(slot, start);
    // start[g]: where group g begins (counts shifted by one, then summed)
    for (let g = 1; g <= groups; g++) start[g]! += start[g - 1]!;
    const keys = new Int32Array(start[groups]!);
    const counts = new Float64Array(start[groups]!);
    this.#gatherFill(slot, start.slice(), keys, counts);
    return { start, keys, counts };
  }

  #gatherCount(slot: Int32Array, start: Int32Array): void {
    const slots = this.#slots;
    for (let q = 0; q < slots.length; q += 3) {
      const s = slots[q]!;
      if (s >= 0 && s < slot.length && slot[s]! > 0) start[slot[s]!]!++;
    }
  }

  #gatherFill(slot: Int32Array, fill: Int32Array, keys: Int32Array, counts: Float64Array): void {
    const slots = this.#slots;
    for (let q = 0; q < slots.length; q += 3) {
      const s = slots[q]!;
      if (s < 0 || s >= slot.length || slot[s]! === 0) continue;
      const at = fill[slot[s]! - 1]!++;
      keys[at] = slots[q + 1]!;
      counts[at] = slots[q + 2]!;
    }
  }

  /** The packets of (s, key) (0 when none). */
  count(s: number, key: number): number {
    this.#flush();
    const i = this.#find(s, key);
    return i < 0 ? 0 : this.#slots[3 * i + 2]!;
  }

  /** The source's keys, newest first, with their counts. */
  forSource(s: number, fn: (key: number, n: number) => void): void {
    this.#flush();
    const entries = this.#entries;
    for (let e = s < this.#heads.length ? this.#heads[s]! : -1; e >= 0; e = entries[3 * e + 2]!) {
      const key = entries[3 * e + 1]!;
      const i = this.#find(s, key);
      fn(key, i < 0 ? 0 : this.#slots[3 * i + 2]!);
    }
  }

  /** Every counter: fn(source, key, packets). */
  forEach(fn: (s: number, key: number, n: number) => void): void {
    this.#flush();
    const slots = this.#slots;
    for (let q = 0; q < slots.length; q += 3) if (slots[q]! >= 0) fn(slots[q]!, slots[q + 1]!, slots[q + 2]!);
  }

  /**
   * Packets per key over all sources: the keys with packets (protoCode * 65536 + port, below `codes` * 65536; in the
   * order they were first met) and their totals, position by position. One pass over the slots in memory order: the
   * report's port totals cost a few milliseconds instead of a map update for each of a million counters, and only the
   * keys in use are handed on (the report ranked them from a dense array of 3 × 65,536 before: two passes over it,
   * ~10 ms unoptimized in a small run, and an on-stack compilation of the report in a large one).
   */
  totalsByKey(codes = 3): { keys: Int32Array; counts: Float64Array } {
    this.#flush();
    const sums = new Float64Array(codes * 65536);
    const seen = new Int32Array(Math.min(this.#size, sums.length));
    let n = 0;
    const slots = this.#slots;
    for (let q = 0; q < slots.length; q += 3) {
      if (slots[q]! < 0) continue;
      const k = slots[q + 1]!;
      if (k < 0 || k >= sums.length) continue;
      // a counter holds at least one packet: a key's total is 0 until its first counter
      if (sums[k] === 0) seen[n++] = k;
      sums[k]! += slots[q + 2]!;
    }
    const keys = seen.slice(0, n);
    const counts = new Float64Array(n);
    for (let i = 0; i < n; i++) counts[i] = sums[keys[i]!]!;
    return { keys, counts };
  }

  /** Drops every counter of source `s`. */
  removeSource(s: number): void {
    this.#flush();
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
