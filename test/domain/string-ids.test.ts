import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringIds } from '../../src/domain/string-ids.ts';

describe('StringIds', () => {
  it('gives each string one id, in first-seen order, however calls alternate (the two-entry memo)', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('', 'tcp', 'udp', 'INPUT', 'FORWARD', 'a', 'tc'), { maxLength: 60 }), (calls) => {
      const ids = new StringIds();
      const want = new Map<string, number>();
      for (const s of calls) {
        // a copy built at run time: equal text, another string object
        const probe = `${s.slice(0, 1)}${s.slice(1)}`;
        if (!want.has(s)) want.set(s, want.size);
        expect(ids.id(probe)).toBe(want.get(s));
        expect(ids.peek(s)).toBe(want.get(s));
      }
      expect(ids.text).toEqual([...want.keys()]);
      expect(ids.size).toBe(want.size);
    }), { numRuns: 300 });
    // the empty string is a string like any other, not the memo's "nothing yet"
    const ids = new StringIds();
    expect(ids.peek('')).toBe(-1);
    expect(ids.id('')).toBe(0);
    expect(ids.id('x')).toBe(1);
    expect(ids.id('')).toBe(0);
  });
});
