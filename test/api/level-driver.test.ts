// GET /sources with a level filter: in time order, one walk of the level index per level merged (no walk of a million
// rows of other levels, no sort of a big level); same answers and the same gap-free paging as the sort-index walk.
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, T0 } from './helpers.ts';

const f = fixture();
afterAll(() => { f.close(); });

describe('level-filtered lists', () => {
  it('merge per-level walks of the level index, and page them in order without gaps or duplicates', () => {
    f.db.transaction(() => {
      for (let i = 0; i < 2500; i++) f.put(`2001:db8::${i.toString(16)}`, { dl: 1, last: T0 + i * 1000 });
      for (let i = 0; i < 7; i++) f.put(`203.0.113.${i + 1}`, { dl: i % 2 === 0 ? 4 : 5, last: T0 + i * 7777 });
    })();
    f.store.indexer.catchUp();
    const seen: string[] = [];
    const prepare = f.db.prepare.bind(f.db);
    f.db.prepare = ((sql: string) => { seen.push(sql); return prepare(sql); });
    try {
      const ips: string[] = [];
      let page = f.store.sources.list({ minDangerLevel: 4 }, '-lastSeen', 3);
      for (;;) {
        ips.push(...page.items.map((s) => s.ip));
        if (!page.next) break;
        page = f.store.sources.list({ minDangerLevel: 4 }, '-lastSeen', 3, page.next);
      }
      expect(ips).toEqual(['203.0.113.7', '203.0.113.6', '203.0.113.5', '203.0.113.4', '203.0.113.3', '203.0.113.2', '203.0.113.1']);
      expect(seen.some((s) => s.includes('INDEXED BY api_index_dl') && s.includes('UNION ALL'))).toBe(true);
      // a big level the same way, both directions, across levels: the newest and oldest of all three levels
      const many = f.store.sources.list({ minDangerLevel: 1 }, '-lastSeen', 5);
      expect(many.items.map((s) => s.ip)).toEqual(['2001:db8::9c3', '2001:db8::9c2', '2001:db8::9c1', '2001:db8::9c0', '2001:db8::9bf']);
      const oldest = f.store.sources.list({ minDangerLevel: 1 }, 'lastSeen', 3);
      expect(oldest.items.map((s) => s.ip)).toEqual(['2001:db8::0', '203.0.113.1', '2001:db8::1']);
      const next = f.store.sources.list({ minDangerLevel: 1 }, 'lastSeen', 3, oldest.next!);
      expect(next.items.map((s) => s.ip)).toEqual(['2001:db8::2', '2001:db8::3', '2001:db8::4']);
      // another order: a level range of a handful of sources is looked up in the level index and sorted
      seen.length = 0;
      const byPackets = f.store.sources.list({ minDangerLevel: 5 }, '-packets', 10);
      expect(byPackets.items.map((s) => s.ip).sort()).toEqual(['203.0.113.2', '203.0.113.4', '203.0.113.6']);
      expect(seen.some((s) => s.includes('INDEXED BY api_index_dl') && !s.includes('UNION ALL'))).toBe(true);
    } finally {
      f.db.prepare = prepare;
    }
  });
});
