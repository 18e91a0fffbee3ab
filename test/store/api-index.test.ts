// The API read model: versioned index rows, facet counters that always equal a recount, history GC, outbox compaction.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIVE } from '../../src/store/migrations/040-api-index.ts';
import { ipKey } from '../../src/store/queries/indexer.ts';
import { fixture, osGuess, ports } from '../api/helpers.ts';

const COUNTRIES = ['US', 'CN', 'NL', null] as const;

describe('search index', () => {
  it('keeps facet counters equal to a recount of the live rows through any sequence of changes and prunes', () => {
    fc.assert(fc.property(fc.array(fc.record({
      ip: fc.integer({ min: 1, max: 12 }),
      op: fc.constantFrom('put', 'put', 'put', 'prune'),
      dl: fc.integer({ min: 0, max: 5 }),
      packets: fc.integer({ min: 1, max: 1000 }),
      cc: fc.constantFrom(...COUNTRIES),
      port: fc.integer({ min: 1, max: 4 }),
      tool: fc.boolean(),
    }), { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (ops, batch) => {
      const f = fixture({ indexBatch: 10 });
      try {
        let k = 0;
        for (const o of ops) {
          const ip = `192.0.2.${o.ip}`;
          if (o.op === 'prune') {
            f.prune(ip);
            f.db.prepare("INSERT INTO profile_changes (ip, version, kind, time) VALUES (?, 0, 'delete', ?)").run(ip, f.clock.now());
          } else {
            f.put(ip, {
              dl: o.dl, packets: o.packets,
              extra: {
                geo: o.cc ? { country: o.cc, city: null } : null, ports: ports(['tcp', o.port, 1], ['udp', 53, 1]),
                os: { current: o.tool ? osGuess('NMap', 'SYN scan', true) : null, history: [] },
              },
            });
          }
          if (++k % batch === 0) f.store.indexer.catchUp();
          f.clock.advance(1000);
        }
        f.store.indexer.catchUp();
        const live = f.db.prepare(`SELECT ip, danger_level, family, packets, country FROM api_index WHERE seq_to = ${LIVE}`).all() as { ip: string; danger_level: number; family: number; packets: number; country: string | null }[];
        const sources = f.db.prepare('SELECT ip, danger_level, packets FROM sources ORDER BY ip').all() as { ip: string; danger_level: number; packets: number }[];
        expect(live.map((r) => [r.ip, r.danger_level, r.packets]).sort()).toEqual(sources.map((r) => [r.ip, r.danger_level, r.packets]).sort());
        const counts = new Map((f.db.prepare('SELECT facet, value, sources FROM api_counts').all() as { facet: string; value: string; sources: number }[]).map((r) => [`${r.facet}/${r.value}`, r.sources]));
        const recount = new Map<string, number>();
        const inc = (key: string, n = 1): void => { recount.set(key, (recount.get(key) ?? 0) + n); };
        for (const r of live) {
          inc(`dl/${r.danger_level}`);
          inc(`family/${r.family}`);
          inc('total/packets', r.packets);
          if (r.country) inc(`country/${r.country.toLowerCase()}`);
        }
        for (const t of f.db.prepare(`SELECT term FROM api_terms WHERE seq_to = ${LIVE}`).pluck().all() as string[]) {
          if (t.startsWith('pp:')) inc(`port/${t.slice(3)}`);
          if (t.startsWith('tool:')) inc(`tool/${t.slice(5)}`);
          if (t.startsWith('osl:')) inc(`os/${t.slice(4)}`);
        }
        for (const [key, n] of recount) expect(counts.get(key) ?? 0, key).toBe(n);
        for (const [key, n] of counts) if (!key.startsWith('total/')) expect(recount.get(key) ?? 0, key).toBe(n);
      } finally {
        f.close();
      }
    }), { numRuns: 40 });
  });

  it('orders addresses numerically through their key', () => {
    const ips = ['10.0.0.10', '10.0.0.2', '::1', '2001:db8::1', '1.2.3.4', '255.255.255.255', '::2:1'];
    expect(ips.sort((a, b) => (ipKey(a) < ipKey(b) ? -1 : 1))).toEqual(['::1', '::2:1', '1.2.3.4', '10.0.0.2', '10.0.0.10', '255.255.255.255', '2001:db8::1']);
  });

  it('drops closed row versions only after the history window, and moves the blocklist horizon', () => {
    const f = fixture();
    try {
      f.put('192.0.2.1', { dl: 1 });
      f.store.indexer.catchUp();
      f.put('192.0.2.1', { dl: 4 });
      f.store.indexer.catchUp();
      const rows = (): number => f.db.prepare('SELECT count(*) FROM api_index').pluck().get() as number;
      expect(rows()).toBe(2);
      expect(f.store.indexer.gc()).toBe(0);
      f.clock.advance(f.settings.cursorTtl * 1000 + 1);
      expect(f.store.indexer.gc()).toBeGreaterThan(0);
      expect(rows()).toBe(1);
      expect(f.store.blocklist.horizon()).toBeGreaterThan(0);
      expect(f.store.indexer.lag()).toBe(0);
    } finally {
      f.close();
    }
  });
});

describe('outbox compaction', () => {
  it('keeps the newest change of every source, drops older ones after a while, and records unrecorded deletions', () => {
    const f = fixture();
    try {
      for (let round = 0; round < 5; round++) for (let i = 1; i <= 20; i++) f.put(`198.51.100.${i}`, { dl: round });
      expect(f.db.prepare('SELECT count(*) FROM profile_changes').pluck().get()).toBe(100);
      f.store.compactor.step(1000);
      expect(f.db.prepare('SELECT count(*) FROM profile_changes').pluck().get()).toBe(100);
      f.clock.advance((Math.max(f.settings.feedCompactAfter, f.settings.cursorTtl) + 120) * 1000);
      f.prune('198.51.100.20');
      for (let i = 0; i < 5 && !f.store.compactor.step(30).wrapped; i++);
      const rows = f.db.prepare('SELECT ip, kind FROM profile_changes ORDER BY seq').all() as { ip: string; kind: string }[];
      expect(rows).toHaveLength(20);
      expect(new Set(rows.map((r) => r.ip)).size).toBe(20);
      expect(rows[rows.length - 1]).toEqual({ ip: '198.51.100.20', kind: 'delete' });
      expect(f.store.feed.position().expiredBelow).toBe(0);
    } finally {
      f.close();
    }
  });
});

describe('list query plans', () => {
  it('answers the same whether a rare term drives the query or every row is probed', async () => {
    const { SqliteSourceQueries } = await import('../../src/store/queries/sources.ts');
    const f = fixture();
    try {
      let seed = 3;
      const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed >>> 12) % n; };
      for (let i = 0; i < 300; i++) {
        const ip = i < 250 ? `203.0.113.${i}` : `2001:db8::${i}`;
        f.put(ip, {
          dl: rnd(6), packets: 1 + rnd(100), last: 1_700_000_000_000 + rnd(10_000),
          extra: {
            geo: { country: ['US', 'NL', 'CN'][rnd(3)]!, city: null }, as: { number: 64500 + rnd(3), organization: 'x' },
            ports: ports(['tcp', 20 + rnd(5), 1], ['udp', 50 + rnd(5), 1]), tags: rnd(4) === 0 ? ['masscan'] : [],
            os: { current: rnd(2) === 0 ? osGuess('Linux', '3.11 and newer') : null, history: [] },
          },
        });
      }
      f.store.indexer.catchUp();
      const probe = new SqliteSourceQueries(f.db, f.reader, f.clock, { cursorTtlMs: 3_600_000, driveBelow: -1 });
      const drive = new SqliteSourceQueries(f.db, f.reader, f.clock, { cursorTtlMs: 3_600_000, driveBelow: 1_000_000 });
      const filters = [
        { port: ['22'] }, { port: ['tcp/21', 'udp/52'] }, { country: ['NL'] }, { asn: [64501], minDangerLevel: 2 as const },
        { tool: ['masscan'], country: ['US', 'CN'] }, { os: ['linux'] }, { os: ['unknown'], port: ['23'] },
      ];
      for (const filter of filters) {
        for (const sort of ['-lastSeen', 'ip', '-dangerLevel', 'packets'] as const) {
          const walk = (q: InstanceType<typeof SqliteSourceQueries>): string[] => {
            const out: string[] = [];
            let page = q.list(filter, sort, 7);
            out.push(...page.items.map((x) => x.ip));
            while (page.next) { page = q.list(filter, sort, 7, page.next); out.push(...page.items.map((x) => x.ip)); }
            return out;
          };
          const a = walk(probe);
          expect(a.length, JSON.stringify(filter)).toBeGreaterThan(0);
          expect(walk(drive), `${JSON.stringify(filter)} ${sort}`).toEqual(a);
        }
      }
    } finally {
      f.close();
    }
  });
});
