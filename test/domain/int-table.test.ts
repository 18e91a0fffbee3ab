// The integer-keyed tables behave as Maps through any sequence of sets, deletes (backward shift) and growth, and
// ipv4Key reads exactly the canonical dotted quads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntMap, IntPairMap, ipv4Key } from '../../src/domain/int-table.ts';

describe('ipv4Key', () => {
  it('is the address as an unsigned number for canonical dotted quads, -1 for anything else', () => {
    expect(ipv4Key('0.0.0.0')).toBe(0);
    expect(ipv4Key('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4Key('198.51.100.7')).toBe(((198 * 256 + 51) * 256 + 100) * 256 + 7);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..2.3', '2001:db8::1', '1.2.3.4 ', 'a.b.c.d']) {
      expect(ipv4Key(bad), bad).toBe(-1);
    }
    fc.assert(fc.property(fc.ipV4(), (ip) => {
      const k = ipv4Key(ip);
      expect(k).toBeGreaterThanOrEqual(0);
      expect([k >>> 24, (k >>> 16) & 255, (k >>> 8) & 255, k & 255].join('.')).toBe(ip);
    }));
  });
});

describe('IntMap', () => {
  it('agrees with a Map through sets, deletes and growth (keys crowded into few slots)', () => {
    const op = fc.tuple(fc.constantFrom('set', 'delete', 'get'), fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(0xffffffff),
      fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 })), fc.nat());
    fc.assert(fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const m = new IntMap<number>();
      const ref = new Map<number, number>();
      for (const [kind, key, v] of ops) {
        const k = key | 0;
        if (kind === 'set') {
          m.set(key, v);
          ref.set(k, v);
        } else if (kind === 'delete') {
          expect(m.delete(key)).toBe(ref.delete(k));
        }
        expect(m.get(key)).toBe(ref.get(k));
        expect(m.size).toBe(ref.size);
      }
      for (const [k, v] of ref) expect(m.get(k)).toBe(v);
    }), { numRuns: 300 });
  });
});

describe('IntPairMap', () => {
  it('agrees with a Map keyed by both numbers, and clears', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.nat()), { maxLength: 300 }),
      (sets) => {
        const m = new IntPairMap<number>();
        const ref = new Map<string, number>();
        for (const [a, b, v] of sets) {
          m.set(a, b, v);
          ref.set(`${a},${b}`, v);
          expect(m.get(a, b)).toBe(v);
        }
        expect(m.size).toBe(ref.size);
        for (let a = 0; a <= 20; a++) for (let b = 0; b <= 20; b++) expect(m.get(a, b)).toBe(ref.get(`${a},${b}`));
        m.clear();
        expect(m.size).toBe(0);
        for (const [a, b] of sets) expect(m.get(a, b)).toBeUndefined();
      }), { numRuns: 100 });
  });
});
