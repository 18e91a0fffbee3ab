// The GET /sources/{ip} body cache: version-checked hits, LRU eviction within the byte bound, oversized bodies never kept.
import { describe, expect, it } from 'vitest';
import { ownedUtf8, ProfileJsonCache } from '../../src/api/profile-cache.ts';
import type { CachedProfile } from '../../src/api/profile-cache.ts';

const LM = 'Thu, 01 Jan 2026 00:00:00 GMT';
const entry = (version: number, json: string): CachedProfile => ({ version, body: ownedUtf8(json), etag: `"e-${version}"`, lastModified: LM });
const text = (e: CachedProfile | undefined): string | undefined => e?.body.toString('utf8');

describe('ProfileJsonCache', () => {
  it('hits only at the stored version', () => {
    const c = new ProfileJsonCache(1 << 20);
    c.set('192.0.2.1', entry(3, '{"a":1}'));
    expect(text(c.get('192.0.2.1', 3))).toBe('{"a":1}');
    expect(c.get('192.0.2.1', 4)).toBeUndefined();
    expect(c.get('192.0.2.2', 3)).toBeUndefined();
    c.set('192.0.2.1', entry(4, '{"a":2}'));
    expect(c.get('192.0.2.1', 4)?.etag).toBe('"e-4"');
    expect(c.size.entries).toBe(1);
    expect([c.hits, c.misses]).toEqual([2, 2]);
  });

  it('evicts the least recently used bodies past its bound and keeps the byte count exact', () => {
    const body = 'x'.repeat(1000);
    const per = body.length + '"e-1"'.length + LM.length + '192.0.2.10'.length + 200;
    const c = new ProfileJsonCache(per * 3);
    for (const i of [10, 11, 12]) c.set(`192.0.2.${i}`, entry(1, body));
    expect(text(c.get('192.0.2.10', 1))).toBe(body); // 10 is now the most recent
    c.set('192.0.2.13', entry(1, body));
    expect(c.get('192.0.2.11', 1)).toBeUndefined();
    expect(text(c.get('192.0.2.10', 1))).toBe(body);
    expect(c.size).toEqual({ entries: 3, bytes: per * 3 });
    c.clear();
    expect(c.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('counts bodies by their UTF-8 bytes (whois text in Cyrillic takes two per letter) in exact-size buffers', () => {
    const c = new ProfileJsonCache(1 << 20);
    c.set('192.0.2.1', entry(1, 'a'.repeat(100)));
    const latin = c.size.bytes;
    c.set('192.0.2.1', entry(2, `${'a'.repeat(99)}ж`));
    expect(c.size.bytes - latin).toBe(1);
    // not a slice of Buffer's shared 8 KiB pool, which the cache would otherwise keep alive
    const b = ownedUtf8('{"ip":"192.0.2.1"}');
    expect(b.buffer.byteLength).toBe(b.length);
  });

  it('never keeps a body larger than the whole bound, and keeps nothing when off', () => {
    const c = new ProfileJsonCache(100);
    c.set('192.0.2.1', entry(1, 'y'.repeat(200)));
    expect(c.size.entries).toBe(0);
    const off = new ProfileJsonCache(0);
    off.set('192.0.2.1', entry(1, '{}'));
    expect(off.get('192.0.2.1', 1)).toBeUndefined();
  });
});
