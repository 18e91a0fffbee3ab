// HyperLogLog sketches of distinct source addresses: one 4 KiB sketch per hour or day, merged to count a window.

/** Register index bits: 2^12 registers, standard error 1.04/√4096 ≈ 1.6 %. */
const P = 12;
/** Number of registers (bytes of a sketch). */
export const SKETCH_BYTES = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / SKETCH_BYTES);

/** 32-bit MurmurHash3 of a string's UTF-16 code units (addresses are ASCII). */
export function murmur3(text: string, seed = 0x9747b28c): number {
  let h = seed >>> 0;
  const n = text.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let k = (text.charCodeAt(i) & 0xff) | ((text.charCodeAt(i + 1) & 0xff) << 8) | ((text.charCodeAt(i + 2) & 0xff) << 16) | ((text.charCodeAt(i + 3) & 0xff) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (text.charCodeAt(i + 2) & 0xff) << 16;
    if (tail >= 2) k ^= (text.charCodeAt(i + 1) & 0xff) << 8;
    k ^= text.charCodeAt(i) & 0xff;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A new, empty sketch. */
export function emptySketch(): Buffer {
  return Buffer.alloc(SKETCH_BYTES);
}

/** Adds an address to a sketch in place; returns whether a register changed. */
export function sketchAdd(sketch: Buffer, key: string): boolean {
  const h = murmur3(key);
  const idx = h >>> (32 - P);
  const rest = (h << P) >>> 0;
  // rank = position of the first set bit in the remaining 20 bits, 21 when all are zero
  const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1;
  if (sketch[idx]! >= rank) return false;
  sketch[idx] = rank;
  return true;
}

/** Merges `from` into `into` (register-wise maximum). */
export function sketchMerge(into: Buffer, from: Uint8Array): void {
  const n = Math.min(into.length, from.length);
  for (let i = 0; i < n; i++) if (from[i]! > into[i]!) into[i] = from[i]!;
}

/** Estimated number of distinct keys added (linear counting below 2.5·m, where it is near exact). */
export function sketchCount(sketch: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < SKETCH_BYTES; i++) {
    const r = sketch[i] ?? 0;
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const raw = (ALPHA * SKETCH_BYTES * SKETCH_BYTES) / sum;
  if (raw <= 2.5 * SKETCH_BYTES && zeros > 0) return Math.round(SKETCH_BYTES * Math.log(SKETCH_BYTES / zeros));
  return Math.round(raw);
}
