// ipv4Key reads exactly the canonical dotted quads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4Key } from '../../src/domain/int-table.ts';

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
