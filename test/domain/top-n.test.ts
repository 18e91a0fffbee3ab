// topN gives what a stable sort then a slice gives, for any list, order, filter and n (ties included).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topN } from '../../src/domain/top-n.ts';

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
});
