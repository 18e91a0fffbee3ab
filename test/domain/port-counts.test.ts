// Port counters counted in batches (in the order of the index's slots) read exactly as counted one by one: counts,
// each source's keys newest first, totals, removal, with batches filling up and the index growing mid-batch.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortCounts } from '../../src/domain/port-counts.ts';

type Op = { kind: 'add'; s: number; key: number; n: number } | { kind: 'remove'; s: number } | { kind: 'read'; s: number; what: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('add' as const), s: fc.integer({ min: 0, max: 40 }), key: fc.integer({ min: 0, max: 3 * 65536 - 1 }).map((k) => k % 900), n: fc.constant(1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), s: fc.integer({ min: 0, max: 40 }), key: fc.integer({ min: 0, max: 899 }), n: fc.integer({ min: 2, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), s: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), s: fc.integer({ min: 0, max: 40 }), what: fc.integer({ min: 0, max: 4 }) }) },
);

describe('PortCounts', () => {
  it('reads what one-by-one counting gives (model: a Map per source, keys in first-seen order)', () => {
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 3000 }), (ops) => {
      // a 16-slot index and 256-packet batches: batches fill, and the index grows inside them
      const pc = new PortCounts(4, 8);
      const model = new Map<number, Map<number, number>>();
      const check = (s: number): void => {
        const m = model.get(s) ?? new Map<number, number>();
        const got: [number, number][] = [];
        pc.forSource(s, (k, n) => got.push([k, n]));
        expect(got).toEqual([...m].reverse());
        for (const [k, n] of m) expect(pc.count(s, k)).toBe(n);
      };
      const counters = (): number => [...model.values()].reduce((n, m) => n + m.size, 0);
      // the totals of the keys in use, each key once
      const totals = (): void => {
        const { keys, counts } = pc.totalsByKey(1);
        const want = new Map<number, number>();
        for (const m of model.values()) for (const [k, n] of m) if (k < 65536) want.set(k, (want.get(k) ?? 0) + n);
        const got = new Map<number, number>();
        keys.forEach((k, i) => got.set(k, counts[i]!));
        expect(keys).toHaveLength(got.size);
        expect(got).toEqual(want);
      };
      const every = (): void => {
        let seen = 0;
        pc.forEach((s, k, n) => {
          expect(model.get(s)?.get(k)).toBe(n);
          seen++;
        });
        expect(seen).toBe(counters());
      };
      // the sources s, s + 7, s + 14 … (up to 40, and 45 beyond the slots) gathered: each one's counters, in its group
      const gather = (s: number): void => {
        const wanted: number[] = [];
        for (let x = s; x <= 45; x += 7) wanted.push(x);
        const slot = new Int32Array(42);
        wanted.forEach((x, g) => { if (x < slot.length) slot[x] = g + 1; });
        const { start, keys, counts } = pc.gather(slot, wanted.length);
        wanted.forEach((x, g) => {
          const got = new Map<number, number>();
          for (let i = start[g]!; i < start[g + 1]!; i++) got.set(keys[i]!, counts[i]!);
          expect(got).toEqual(x < slot.length ? model.get(x) ?? new Map() : new Map());
          expect(start[g + 1]! - start[g]!).toBe(got.size);
        });
      };
      // each read, first thing after adds, must count what is pending
      const reads = [(s: number): void => { check(s); }, (): void => { expect(pc.size).toBe(counters()); }, totals, every, gather];
      for (const o of ops) {
        if (o.kind === 'add') {
          pc.add(o.s, o.key, o.n);
          const m = model.get(o.s) ?? new Map<number, number>();
          model.set(o.s, m.set(o.key, (m.get(o.key) ?? 0) + o.n));
        } else if (o.kind === 'remove') {
          pc.removeSource(o.s);
          model.delete(o.s);
        } else {
          reads[o.what]!(o.s);
        }
      }
      totals();
      for (let s = 0; s <= 40; s++) check(s);
      every();
      gather(0);
    }), { numRuns: 200 });
  });
});
