// Hash tables keyed by 32-bit integers (IPv4 addresses as numbers) for per-packet lookups: keys in typed arrays, open
// addressing, no allocation per entry. A Map keyed by address text costs several cache misses per lookup (bucket,
// entry, key string) on a large heap; these cost about one.

/** An IPv4 address in canonical dotted-quad text as an unsigned 32-bit number, or -1 for anything else. */
export function ipv4Key(ip: string): number {
  const n = ip.length;
  if (n < 7 || n > 15) return -1;
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero: not canonical
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

function hash1(k: number): number {
  return Math.imul(k ^ (k >>> 16), 0x45d9f3b) ^ Math.imul(k >>> 7, 0x2c1b3c6d);
}

/** A map from 32-bit integers to values (linear probing; deletion by backward shift, so no tombstones). */
export class IntMap<V> {
  #bits = 4;
  #keys = new Int32Array(1 << this.#bits);
  #vals: (V | undefined)[] = new Array<V | undefined>(1 << this.#bits).fill(undefined);
  #size = 0;

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  #slot(k: number): number {
    return hash1(k) >>> (32 - this.#bits);
  }

  get(key: number): V | undefined {
    const k = key | 0;
    const mask = (1 << this.#bits) - 1;
    const keys = this.#keys;
    const vals = this.#vals;
    for (let i = this.#slot(k); ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined) return undefined;
      if (keys[i] === k) return v;
    }
  }

  /** Sets `key` to `value` (not undefined). */
  set(key: number, value: V): void {
    const k = key | 0;
    const mask = (1 << this.#bits) - 1;
    for (let i = this.#slot(k); ; i = (i + 1) & mask) {
      if (this.#vals[i] === undefined) {
        this.#keys[i] = k;
        this.#vals[i] = value;
        if (++this.#size * 2 > mask + 1) this.#grow();
        return;
      }
      if (this.#keys[i] === k) {
        this.#vals[i] = value;
        return;
      }
    }
  }

  delete(key: number): boolean {
    const k = key | 0;
    const mask = (1 << this.#bits) - 1;
    const keys = this.#keys;
    const vals = this.#vals;
    let i = this.#slot(k);
    for (; ; i = (i + 1) & mask) {
      if (vals[i] === undefined) return false;
      if (keys[i] === k) break;
    }
    // backward shift: move later entries of the run into the hole when their home slot allows it
    let hole = i;
    for (let j = (i + 1) & mask; vals[j] !== undefined; j = (j + 1) & mask) {
      const home = this.#slot(keys[j]!);
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

  clear(): void {
    this.#bits = 4;
    this.#keys = new Int32Array(1 << this.#bits);
    this.#vals = new Array<V | undefined>(1 << this.#bits).fill(undefined);
    this.#size = 0;
  }

  #grow(): void {
    const keys = this.#keys;
    const vals = this.#vals;
    this.#bits++;
    this.#keys = new Int32Array(1 << this.#bits);
    this.#vals = new Array<V | undefined>(1 << this.#bits).fill(undefined);
    this.#size = 0;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined) this.set(keys[i]!, v);
    }
  }
}

/** A map from pairs of 32-bit integers to values (insert-only; cleared as a whole). */
export class IntPairMap<V> {
  #bits = 4;
  #a = new Int32Array(1 << this.#bits);
  #b = new Int32Array(1 << this.#bits);
  #vals: (V | undefined)[] = new Array<V | undefined>(1 << this.#bits).fill(undefined);
  #size = 0;

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  #slot(a: number, b: number): number {
    return (hash1(a) ^ Math.imul(hash1(b), 0x9e3779b1)) >>> (32 - this.#bits);
  }

  get(keyA: number, keyB: number): V | undefined {
    const a = keyA | 0;
    const b = keyB | 0;
    const mask = (1 << this.#bits) - 1;
    const as = this.#a;
    const bs = this.#b;
    const vals = this.#vals;
    for (let i = this.#slot(a, b); ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined) return undefined;
      if (as[i] === a && bs[i] === b) return v;
    }
  }

  /** Sets (keyA, keyB) to `value` (not undefined). */
  set(keyA: number, keyB: number, value: V): void {
    const a = keyA | 0;
    const b = keyB | 0;
    const mask = (1 << this.#bits) - 1;
    for (let i = this.#slot(a, b); ; i = (i + 1) & mask) {
      if (this.#vals[i] === undefined) {
        this.#a[i] = a;
        this.#b[i] = b;
        this.#vals[i] = value;
        if (++this.#size * 2 > mask + 1) this.#grow();
        return;
      }
      if (this.#a[i] === a && this.#b[i] === b) {
        this.#vals[i] = value;
        return;
      }
    }
  }

  clear(): void {
    if (this.#size === 0) return;
    this.#bits = 4;
    this.#a = new Int32Array(1 << this.#bits);
    this.#b = new Int32Array(1 << this.#bits);
    this.#vals = new Array<V | undefined>(1 << this.#bits).fill(undefined);
    this.#size = 0;
  }

  #grow(): void {
    const as = this.#a;
    const bs = this.#b;
    const vals = this.#vals;
    this.#bits++;
    this.#a = new Int32Array(1 << this.#bits);
    this.#b = new Int32Array(1 << this.#bits);
    this.#vals = new Array<V | undefined>(1 << this.#bits).fill(undefined);
    this.#size = 0;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v !== undefined) this.set(as[i]!, bs[i]!, v);
    }
  }
}
