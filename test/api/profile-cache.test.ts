// The GET /sources/{ip} body cache: version-checked hits, LRU eviction within the byte bound, oversized bodies never kept.
import { describe, expect, it } from 'vitest';
import { ProfileJsonCache } from '../../src/api/profile-cache.ts';

describe('ProfileJsonCache', () => {
  it('hits only at the stored version', () => {
    const c = new ProfileJsonCache(1 << 20);
    c.set('192.0.2.1', 3, '{"a":1}');
    expect(c.get('192.0.2.1', 3)).toBe('{"a":1}');
    expect(c.get('192.0.2.1', 4)).toBeUndefined();
    expect(c.get('192.0.2.2', 3)).toBeUndefined();
    c.set('192.0.2.1', 4, '{"a":2}');
    expect(c.get('192.0.2.1', 4)).toBe('{"a":2}');
    expect(c.size.entries).toBe(1);
    expect([c.hits, c.misses]).toEqual([2, 2]);
  });

  it('evicts the least recently used bodies past its bound and keeps the byte count exact', () => {
    const body = 'x'.repeat(1000);
    const per = body.length + '192.0.2.10'.length + 96;
    const c = new ProfileJsonCache(per * 3);
    for (const i of [10, 11, 12]) c.set(`192.0.2.${i}`, 1, body);
    expect(c.get('192.0.2.10', 1)).toBe(body); // 10 is now the most recent
    c.set('192.0.2.13', 1, body);
    expect(c.get('192.0.2.11', 1)).toBeUndefined();
    expect(c.get('192.0.2.10', 1)).toBe(body);
    expect(c.size).toEqual({ entries: 3, bytes: per * 3 });
    c.clear();
    expect(c.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('counts bodies with characters beyond Latin-1 (whois text in Cyrillic) at two bytes per character', () => {
    const c = new ProfileJsonCache(1 << 20);
    c.set('192.0.2.1', 1, 'a'.repeat(100));
    const latin = c.size.bytes;
    c.set('192.0.2.1', 2, `${'a'.repeat(99)}ж`);
    expect(c.size.bytes - latin).toBe(100);
  });

  it('never keeps a body larger than the whole bound, and keeps nothing when off', () => {
    const c = new ProfileJsonCache(100);
    c.set('192.0.2.1', 1, 'y'.repeat(200));
    expect(c.size.entries).toBe(0);
    const off = new ProfileJsonCache(0);
    off.set('192.0.2.1', 1, '{}');
    expect(off.get('192.0.2.1', 1)).toBeUndefined();
  });
});
