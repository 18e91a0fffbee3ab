// The first n items of a list in a given order, without sorting the whole list.

/**
 * The first `n` items of `items` in `cmp` order, as a stable sort then a slice would give them (equal items keep their
 * list order), in O(length × log n): a heap of the best n so far with the worst of them on top. A report shows a few
 * dozen of tens of thousands (sorting 75,000 port counters to print 20 took ~20 ms of analyze's report). `keep` filters
 * items first; n ≤ 0 sorts every kept item.
 */
export function topN<T>(items: Iterable<T>, n: number, cmp: (a: T, b: T) => number, keep?: (x: T) => boolean): T[] {
  const kept: T[] = [];
  const at: number[] = [];
  // a before b in the result: by cmp, then by list position
  const before = (i: number, j: number): boolean => {
    const c = cmp(kept[i]!, kept[j]!);
    return c < 0 || (c === 0 && at[i]! < at[j]!);
  };
  const swap = (i: number, j: number): void => {
    const x = kept[i]!;
    kept[i] = kept[j]!;
    kept[j] = x;
    const a = at[i]!;
    at[i] = at[j]!;
    at[j] = a;
  };
  if (n <= 0) {
    for (const x of items) if (!keep || keep(x)) kept.push(x);
    // Array.prototype.sort is stable
    return kept.sort(cmp);
  }
  let pos = 0;
  for (const x of items) {
    if (keep && !keep(x)) continue;
    const p = pos++;
    if (kept.length < n) {
      // sift up: the heap's top is the item that comes last
      kept.push(x);
      at.push(p);
      for (let i = kept.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!before(parent, i)) break;
        swap(parent, i);
        i = parent;
      }
      continue;
    }
    // a later item equal to the top comes after it: only a strictly better one goes in
    if (cmp(x, kept[0]!) >= 0) continue;
    kept[0] = x;
    at[0] = p;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let last = i;
      if (l < kept.length && before(last, l)) last = l;
      if (r < kept.length && before(last, r)) last = r;
      if (last === i) break;
      swap(i, last);
      i = last;
    }
  }
  const order = kept.map((_, i) => i).sort((i, j) => (before(i, j) ? -1 : before(j, i) ? 1 : 0));
  return order.map((i) => kept[i]!);
}

/**
 * Positions in `counts` of its `n` largest counts (n ≤ 0: every one), largest first, the lower key first among equal
 * counts (`keys[i]` is position i's key; keys are distinct, so the order is total). Counts of 0 or less are left out.
 *
 * What topN does for the report's port rankings, without a comparator: topN is generic, and the report calls it with
 * three different orders and item lists, so its optimized code was thrown away and compiled again four times per run
 * (~25 ms of the optimizing compiler at the end of analyze). This one always sees the same two typed arrays.
 */
export function topCounts(counts: Float64Array, keys: Int32Array, n: number): number[] {
  const len = Math.min(counts.length, keys.length);
  const before = (i: number, j: number): boolean => countFirst(counts, keys, i, j);
  if (n <= 0) {
    const all: number[] = [];
    for (let i = 0; i < len; i++) if (counts[i]! > 0) all.push(i);
    return all.sort((i, j) => (before(i, j) ? -1 : 1));
  }
  // a heap of the best n so far, the one that comes last on top
  const heap = new Int32Array(n);
  let size = 0;
  for (let i = 0; i < len; i++) {
    if (!(counts[i]! > 0)) continue;
    if (size < n) {
      let c = size++;
      heap[c] = i;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (!countFirst(counts, keys, heap[parent]!, heap[c]!)) break;
        const x = heap[parent]!;
        heap[parent] = heap[c]!;
        heap[c] = x;
        c = parent;
      }
      continue;
    }
    if (!countFirst(counts, keys, i, heap[0]!)) continue;
    heap[0] = i;
    for (let c = 0; ;) {
      const l = 2 * c + 1;
      const r = l + 1;
      let last = c;
      if (l < size && countFirst(counts, keys, heap[last]!, heap[l]!)) last = l;
      if (r < size && countFirst(counts, keys, heap[last]!, heap[r]!)) last = r;
      if (last === c) break;
      const x = heap[last]!;
      heap[last] = heap[c]!;
      heap[c] = x;
      c = last;
    }
  }
  return Array.from(heap.subarray(0, size)).sort((i, j) => (before(i, j) ? -1 : 1));
}

/** Whether position i comes before position j: more counted, or as many and a lower key. */
function countFirst(counts: Float64Array, keys: Int32Array, i: number, j: number): boolean {
  return counts[i]! > counts[j]! || (counts[i] === counts[j] && keys[i]! < keys[j]!);
}
