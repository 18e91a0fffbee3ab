// Helpers for the rows of detection's typed-array tables (sources, pairs, signature hits).

/**
 * Sets `width` ints from `from` to 0. A loop, not `fill`: TypedArray.prototype.fill is a call into V8's C++ runtime
 * that costs more than a row of stores, and a row is cleared for every new source, pair and signature hit.
 */
export function zeroRow(a: Int32Array, from: number, width: number): void {
  for (let i = from, end = from + width; i < end; i++) a[i] = 0;
}
