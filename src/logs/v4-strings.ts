// One string object per IPv4 address while it stays in a small table, so detection's keys compare by identity and no
// address keeps a log line (or a read chunk) alive.

/**
 * A copy of `s` that owns its characters: strings cut out of a log line may share the line's (or a whole read chunk's)
 * memory, and detection keeps addresses for hours. V8 copies slices shorter than 13 characters; a longer one is
 * flattened from a fresh concatenation.
 */
export function owned(s: string): string {
  return s.length > 12 ? ` ${s}`.slice(1) : s;
}

/**
 * The text of IPv4 addresses by value, one string object per address while it stays in the table: detection's maps
 * are keyed by address, and a key that is the very object stored finds its entry without hashing or comparing
 * characters. Direct-mapped and bounded: a collision only costs a fresh copy.
 */
export class V4Strings {
  static readonly BITS = 17;
  readonly #keys = new Int32Array(1 << V4Strings.BITS);
  readonly #vals: string[] = new Array<string>(1 << V4Strings.BITS).fill('');

  #slot(k: number): number {
    return Math.imul(k ^ (k >>> 15), 0x2c1b3c6d) >>> (32 - V4Strings.BITS);
  }

  /** The address `n` (32-bit value) whose canonical text is s[a,b). */
  get(n: number, s: string, a: number, b: number): string {
    const k = n | 0;
    const h = this.#slot(k);
    const v = this.#vals[h]!;
    if (this.#keys[h] === k && v !== '') return v;
    const t = owned(s.slice(a, b));
    this.#keys[h] = k;
    this.#vals[h] = t;
    return t;
  }

  /** The canonical text of address `n` (32-bit value). */
  text(n: number): string {
    const k = n | 0;
    const h = this.#slot(k);
    const v = this.#vals[h]!;
    if (this.#keys[h] === k && v !== '') return v;
    const t = owned(`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);
    this.#keys[h] = k;
    this.#vals[h] = t;
    return t;
  }
}
