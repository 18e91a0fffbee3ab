// Open-addressing hash indexes over typed arrays for the scan table: a key and its id side by side in one Int32Array,
// so a lookup costs about one cache miss and the collector has nothing to trace.

/** A 32-bit mix of one integer. */
export function mix1(k: number): number {
  let h = Math.imul(k ^ (k >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return h ^ (h >>> 16);
}

/** A 32-bit mix of two integers (never used as a key by itself: callers compare the pair). */
export function mix2(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Int32 key → id (≥ 0), linear probing, deletion by backward shift (no tombstones). */
export class IdIndex {
  #bits: number;
  /** [key, id] per slot; id -1 = empty. */
  #slots: Int32Array;
  #size = 0;

  /** Room for 2^(bits-1) keys before the index first grows. */
  constructor(bits = 4) {
    this.#bits = bits;
    this.#slots = new Int32Array(2 << bits).fill(-1);
  }

  get size(): number {
    return this.#size;
  }

  /** The id of `key`, or -1. */
  get(key: number): number {
    const k = key | 0;
    const slots = this.#slots;
    const mask = (1 << this.#bits) - 1;
    for (let i = mix1(k) >>> (32 - this.#bits); ; i = (i + 1) & mask) {
      const id = slots[2 * i + 1]!;
      if (id < 0) return -1;
      if (slots[2 * i] === k) return id;
    }
  }

  /** Sets `key` to `id` (≥ 0). */
  set(key: number, id: number): void {
    const k = key | 0;
    const mask = (1 << this.#bits) - 1;
    const slots = this.#slots;
    for (let i = mix1(k) >>> (32 - this.#bits); ; i = (i + 1) & mask) {
      const cur = slots[2 * i + 1]!;
      if (cur < 0) {
        slots[2 * i] = k;
        slots[2 * i + 1] = id;
        if (++this.#size * 2 > mask + 1) this.#grow();
        return;
      }
      if (slots[2 * i] === k) {
        slots[2 * i + 1] = id;
        return;
      }
    }
  }

  /** Removes `key`; false when it was not there. */
  delete(key: number): boolean {
    const k = key | 0;
    const bits = this.#bits;
    const mask = (1 << bits) - 1;
    const slots = this.#slots;
    let i = mix1(k) >>> (32 - bits);
    for (; ; i = (i + 1) & mask) {
      if (slots[2 * i + 1]! < 0) return false;
      if (slots[2 * i] === k) break;
    }
    let hole = i;
    for (let j = (i + 1) & mask; slots[2 * j + 1]! >= 0; j = (j + 1) & mask) {
      const home = mix1(slots[2 * j]!) >>> (32 - bits);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[2 * hole] = slots[2 * j]!;
        slots[2 * hole + 1] = slots[2 * j + 1]!;
        hole = j;
      }
    }
    slots[2 * hole + 1] = -1;
    this.#size--;
    return true;
  }

  #grow(): void {
    const old = this.#slots;
    this.#bits++;
    this.#slots = new Int32Array(2 << this.#bits).fill(-1);
    this.#size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1]! >= 0) this.set(old[i]!, old[i + 1]!);
  }
}
