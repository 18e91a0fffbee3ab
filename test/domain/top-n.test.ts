// topN gives what a stable sort then a slice gives, for any list, order, filter and n (ties included).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topCounts, topN } from '../../src/domain/top-n.ts';

describe('topN', () => {
  it('equals a stable sort then a slice, ties keeping list order', () => {
    // items carry their list position so the tie order shows; values from a small range make ties common
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 200 }), fc.integer({ min: -1, max: 40 }), fc.boolean(),
      (values, n, filter) => {
        const items = values.map((v, i) => ({ v, i }));
        const cmp = (a: { v: number }, b: { v: number }): number => b.v - a.v;
        const keep = filter ? (x: { v: number }): boolean => x.v !== 3 : undefined;
        const kept = keep ? items.filter(keep) : items;
        const want = [...kept].sort(cmp).slice(0, n > 0 ? n : kept.length);
        expect(topN(items, n, cmp, keep)).toEqual(want);
      }), { numRuns: 2000 });
  });

  it('takes a generator once and keeps the best of a long descending run', () => {
    function* down(): Generator<number> {
      for (let k = 4000; k > 0; k--) yield k;
    }
    expect(topN(down(), 3, (a, b) => a - b)).toEqual([1, 2, 3]);
  });

  it('topCounts: positions of the largest counts, a lower key first among equals, counts ≤ 0 left out', () => {
    // distinct keys in any order; counts from a small range (ties common), zeros and negatives included
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { maxLength: 200 }),
      fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 200 }), fc.integer({ min: -1, max: 40 }),
      (keyList, countList, n) => {
        const len = Math.min(keyList.length, countList.length);
        const keys = Int32Array.from(keyList.slice(0, len));
        const counts = Float64Array.from(countList.slice(0, len));
        const want = [...keys.keys()].filter((i) => counts[i]! > 0)
          .sort((i, j) => counts[j]! - counts[i]! || keys[i]! - keys[j]!);
        expect(topCounts(counts, keys, n)).toEqual(want.slice(0, n > 0 ? n : want.length));
      }), { numRuns: 2000 });
  });
});
