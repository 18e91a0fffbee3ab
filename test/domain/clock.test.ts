// isoTime gives Date#toISOString()'s text for every time, including the fractions, days far apart and the edges of the
// four-digit years it builds itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/domain/clock.ts';

describe('isoTime', () => {
  it('is toISOString() for any time (and throws as it does for an invalid one)', () => {
    const edges = [0, -1, 1.7, -1.7, 86_399_999, 86_400_000, -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999,
      253_402_300_800_000, 8.64e15, -8.64e15, Date.UTC(2026, 10, 25, 23, 59, 59, 999)];
    for (const t of edges) expect(isoTime(t), String(t)).toBe(new Date(t).toISOString());
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }),
      fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 0, 3) })), (t) => {
      expect(isoTime(t)).toBe(new Date(t).toISOString());
    }), { numRuns: 3000 });
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
