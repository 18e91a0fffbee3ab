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
