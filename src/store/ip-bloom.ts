// A Bloom filter of addresses that were written to the store, so a spoofed-source flood does not pay one lookup per
// never-seen source: "definitely not there" skips the query, "maybe there" asks SQLite.

/** Fixed-size Bloom filter over strings (double hashing of two FNV-1a variants). */
export class IpBloom {
  readonly #bits: Uint32Array;
  readonly #mask: number;
  readonly #k: number;

  /** `log2Bits` bits (default 2^27 = 16 MB: about 0.4% false positives at 10 million addresses), `k` probes. */
  constructor(log2Bits = 27, k = 4) {
    this.#bits = new Uint32Array(2 ** (log2Bits - 5));
    this.#mask = 2 ** log2Bits - 1;
    this.#k = k;
  }

  #hashes(s: string): [number, number] {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    return [h1 >>> 0, (h2 | 1) >>> 0];
  }

  add(s: string): void {
    const [a, b] = this.#hashes(s);
    for (let i = 0; i < this.#k; i++) {
      const bit = (a + Math.imul(i, b)) & this.#mask;
      this.#bits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  /** False: certainly never added. True: probably added. */
  has(s: string): boolean {
    const [a, b] = this.#hashes(s);
    for (let i = 0; i < this.#k; i++) {
      const bit = (a + Math.imul(i, b)) & this.#mask;
      if ((this.#bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
