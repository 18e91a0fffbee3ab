// An open-addressing hash map from 32-bit integers (IPv4 addresses) to objects: the engine's hottest lookup, without Map's overhead.

/**
 * Linear probing with backward-shift deletion (no tombstones, so lookups stay short under constant churn), growing at
 * half load. Keys are any int32; values must not be undefined.
 */
export class IntMap<V> {
  #keys: Int32Array;
  #vals: (V | undefined)[];
  #mask: number;
  #size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.#keys = new Int32Array(cap);
    this.#vals = new Array<V | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  #slot(key: number): number {
    return (Math.imul(key, 0x9e3779b1) >>> 0) & this.#mask;
  }

  get(key: number): V | undefined {
    const keys = this.#keys;
    const vals = this.#vals;
    for (let i = this.#slot(key); ; i = (i + 1) & this.#mask) {
      const v = vals[i];
      if (v === undefined) return undefined;
      if (keys[i] === key) return v;
    }
  }

  set(key: number, value: V): void {
    const keys = this.#keys;
    const vals = this.#vals;
    for (let i = this.#slot(key); ; i = (i + 1) & this.#mask) {
      if (vals[i] === undefined) {
        keys[i] = key;
        vals[i] = value;
        if (++this.#size * 2 > this.#mask + 1) this.#grow();
        return;
      }
      if (keys[i] === key) {
        vals[i] = value;
        return;
      }
    }
  }

  delete(key: number): boolean {
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = this.#mask;
    let i = this.#slot(key);
    for (;; i = (i + 1) & mask) {
      if (vals[i] === undefined) return false;
      if (keys[i] === key) break;
    }
    // backward-shift: move later members of the probe run into the hole so no tombstone is needed
    let hole = i;
    for (let j = (i + 1) & mask; vals[j] !== undefined; j = (j + 1) & mask) {
      const home = this.#slot(keys[j]!);
      // move j into the hole when its home slot is not cyclically in (hole, j]
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = keys[j]!;
        vals[hole] = vals[j];
        hole = j;
      }
    }
    vals[hole] = undefined;
    this.#size--;
    return true;
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldVals = this.#vals;
    const cap = oldKeys.length * 2;
    this.#keys = new Int32Array(cap);
    this.#vals = new Array<V | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
    this.#size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const v = oldVals[i];
      if (v !== undefined) this.set(oldKeys[i]!, v);
    }
  }
}
