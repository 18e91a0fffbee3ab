// LevelHistory keeps lists of level changes in typed arrays: random pushes, frees and rebuilds against plain arrays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LevelHistory } from '../../src/domain/level-history.ts';
import type { DangerChange } from '../../src/domain/scan-state.ts';
import type { DangerLevel } from '../../src/domain/profile.ts';

const REASONS = ['packets', 'hosts', 'signature', 'fwsnort', 'icmp', 'auto_dl', 'protocols', 'stored: ünïcode'];

describe('LevelHistory', () => {
  it('gives back every list as pushed, oldest first, while other lists are freed and their records reused', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('push' as const), list: fc.nat(7), time: fc.double({ min: 0, max: 2e12, noNaN: true }), level: fc.integer({ min: 0, max: 5 }), reason: fc.constantFrom(...REASONS) }),
      fc.record({ k: fc.constant('free' as const), list: fc.nat(7) }),
      fc.record({ k: fc.constant('from' as const), list: fc.nat(7), n: fc.nat(6) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const h = new LevelHistory();
      const names = new Array<number>(8).fill(0);
      const model: DangerChange[][] = Array.from({ length: 8 }, () => []);
      for (const o of ops) {
        if (o.k === 'push') {
          names[o.list] = h.push(names[o.list]!, o.time, o.level, o.reason);
          model[o.list]!.push({ time: o.time, level: o.level as DangerLevel, reason: o.reason });
        } else if (o.k === 'free') {
          h.free(names[o.list]!);
          names[o.list] = 0;
          model[o.list] = [];
        } else {
          const changes = Array.from({ length: o.n }, (_, i) => ({ time: i * 1000.5, level: (i % 6) as DangerLevel, reason: REASONS[i % REASONS.length]! }));
          h.free(names[o.list]!);
          names[o.list] = h.from(changes);
          model[o.list] = changes;
        }
      }
      for (let i = 0; i < 8; i++) {
        expect(h.list(names[i]!)).toEqual(model[i]);
        expect(h.length(names[i]!)).toBe(model[i]!.length);
      }
    }), { numRuns: 300 });
  });

  it('an empty list is 0 and lists nothing', () => {
    const h = new LevelHistory();
    expect(h.from([])).toBe(0);
    expect(h.list(0)).toEqual([]);
    expect(h.length(0)).toBe(0);
    h.free(0);
  });
});
