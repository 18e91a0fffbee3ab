// GET /sources with a level filter few sources pass: driven from the level index (no walk of a million rows), same
// answers and the same gap-free paging as the sort-index walk.
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, T0 } from './helpers.ts';

const f = fixture();
afterAll(() => { f.close(); });

describe('level-filtered lists', () => {
  it('walk the level index when the range is rare, and page it in order without gaps or duplicates', () => {
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
      expect(seen.some((s) => s.includes('INDEXED BY api_index_dl'))).toBe(true);
      // a range most sources are in keeps walking the sort index
      seen.length = 0;
      const many = f.store.sources.list({ minDangerLevel: 1, maxDangerLevel: 1 }, '-lastSeen', 5);
      expect(many.items.map((s) => s.ip)).toEqual(['2001:db8::9c3', '2001:db8::9c2', '2001:db8::9c1', '2001:db8::9c0', '2001:db8::9bf']);
      expect(seen.every((s) => !s.includes('INDEXED BY'))).toBe(true);
    } finally {
      f.db.prepare = prepare;
    }
  });
});
