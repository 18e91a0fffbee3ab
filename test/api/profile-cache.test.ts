// The GET /sources/{ip} body cache: version-checked hits, generational eviction within the byte bound, oversized bodies never kept.
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

  it('keeps what was used within the last half-bound of insertions, drops the oldest generation whole, keeps the byte count exact', () => {
    const body = 'x'.repeat(1000);
    const per = body.length + '"e-1"'.length + LM.length + '192.0.2.10'.length + 200;
    // two generations of three entries each
    const c = new ProfileJsonCache(per * 6);
    for (const i of [10, 11, 12]) c.set(`192.0.2.${i}`, entry(1, body));
    expect(c.size).toEqual({ entries: 3, bytes: per * 3 });
    // the fourth starts a new generation: 10–12 are now the old one, still served
    c.set('192.0.2.13', entry(1, body));
    expect(c.size).toEqual({ entries: 4, bytes: per * 4 });
    // a hit in the old generation moves 10 back into the young one
    expect(text(c.get('192.0.2.10', 1))).toBe(body);
    // 14 fills the young generation (13, 10, 14); 15 turns it old and drops 11 and 12, never used again
    c.set('192.0.2.14', entry(1, body));
    c.set('192.0.2.15', entry(1, body));
    expect(c.get('192.0.2.11', 1)).toBeUndefined();
    expect(c.get('192.0.2.12', 1)).toBeUndefined();
    for (const i of [10, 13, 14, 15]) expect(text(c.get(`192.0.2.${i}`, 1))).toBe(body);
    expect(c.size.bytes).toBeLessThanOrEqual(per * 6);
    // replacing an entry counts it once, whichever generation held it
    c.set('192.0.2.13', entry(2, body));
    expect(c.get('192.0.2.13', 1)).toBeUndefined();
    expect(c.get('192.0.2.13', 2)?.etag).toBe('"e-2"');
    const { entries, bytes } = c.size;
    expect(bytes).toBe(entries * per);
    c.clear();
    expect(c.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('never holds more than its bound under a long run of distinct insertions and hits', () => {
    const c = new ProfileJsonCache(50_000);
    let seen = 0;
    for (let i = 0; i < 5000; i++) {
      c.set(`198.51.100.${i % 250}-${i}`, entry(1, 'z'.repeat(100 + (i % 300))));
      if (c.get(`198.51.100.${(i - 7) % 250}-${i - 7}`, 1)) seen++;
      expect(c.size.bytes).toBeLessThanOrEqual(50_000);
    }
    // a body asked for again seven insertions later is still there
    expect(seen).toBe(4993);
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

  it('never keeps a body larger than half the bound (one generation), and keeps nothing when off', () => {
    const c = new ProfileJsonCache(2000);
    c.set('192.0.2.1', entry(1, 'y'.repeat(900)));
    expect(c.size.entries).toBe(0);
    c.set('192.0.2.1', entry(1, 'y'.repeat(700)));
    expect(c.size.entries).toBe(1);
    const off = new ProfileJsonCache(0);
    off.set('192.0.2.1', entry(1, '{}'));
    expect(off.get('192.0.2.1', 1)).toBeUndefined();
  });

  it('admits on a second request: the doorkeeper remembers addresses asked for, with few false alarms, and forgets in bulk', () => {
    const c = new ProfileJsonCache(1 << 20);
    expect(c.seenBefore('192.0.2.1')).toBe(false);
    expect(c.seenBefore('192.0.2.1')).toBe(true);
    expect(c.seenBefore('2001:db8::1')).toBe(false);
    // 100,000 distinct addresses, each asked for once: few are taken for repeats
    let falseAlarms = 0;
    for (let i = 0; i < 100_000; i++) if (c.seenBefore(`2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::7`)) falseAlarms++;
    expect(falseAlarms).toBeLessThan(5000);
    // every address is remembered until the filter is cleared (after 131,072 marks): the last 1,000 still are
    for (let i = 99_000; i < 100_000; i++) expect(c.seenBefore(`2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::7`)).toBe(true);
    // past the bound the filter starts again empty
    for (let i = 0; i < 40_000; i++) c.seenBefore(`198.51.${i >>> 8}.${i & 255}-x`);
    expect(c.seenBefore('192.0.2.1')).toBe(false);
  });
});
