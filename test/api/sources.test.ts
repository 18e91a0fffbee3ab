// GET /sources/{ip} and GET /sources in-process: address forms, ETag, filters, sorting, snapshot paging under writes, bad input.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, fixture, osGuess, ports, T0, whoisRecord } from './helpers.ts';
import type { Fixture } from './helpers.ts';
import { OsGuessRepository } from '../../src/store/os-guesses.ts';
import type { OsGuessObservation } from '../../src/store/os-guesses.ts';

let f: Fixture;
let app: FastifyInstance;

beforeAll(async () => {
  f = fixture();
  app = await f.app();
});
afterAll(async () => {
  await app.close();
  f.close();
});

const get = (url: string, headers: Record<string, string> = auth()) => app.inject({ url, headers });

describe('GET /sources/{ip}', () => {
  beforeAll(() => {
    f.put('203.0.113.7', { dl: 3, packets: 40, extra: { geo: { country: 'NL', city: 'Amsterdam' }, as: { number: 64500, organization: 'Example Transit' } } });
    f.put('2001:db8::1', { dl: 1, packets: 2 });
  });

  it('answers every textual form of an address with the canonical profile', async () => {
    for (const form of ['2001:db8::1', '2001:DB8::0:1', '2001:0db8:0000:0000:0000:0000:0000:0001', '[2001:db8::1]', '2001:db8::1%25eth0']) {
      const r = await get(`/sources/${form}`);
      expect(r.statusCode, form).toBe(200);
      expect(r.json().ip).toBe('2001:db8::1');
    }
    const mapped = await get('/sources/::ffff:203.0.113.7');
    expect(mapped.statusCode).toBe(200);
    expect(mapped.json()).toMatchObject({ ip: '203.0.113.7', dangerLevel: 3, packets: 40, geo: { country: 'NL' }, as: { number: 64500 } });
  });

  it('says 400 with a stable code for anything that is not an address, 404 for an unknown one', async () => {
    for (const bad of ['1.2.3', '256.1.1.1', '01.2.3.4', 'abc', '1.2.3.4%2F24', '2001:db8:::1', encodeURIComponent("1' OR '1'='1"), 'x'.repeat(300)]) {
      const r = await get(`/sources/${bad}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json().code).toBe('PW_ERR_INVALID_ADDRESS');
    }
    const r = await get('/sources/198.51.100.99');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ code: 'PW_ERR_NOT_FOUND', status: 404, type: 'urn:probewatch:problem:PW_ERR_NOT_FOUND' });
  });

  it('sends an ETag that changes with any part of the profile, and 304 for If-None-Match', async () => {
    const a = await get('/sources/203.0.113.7');
    const etag = a.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]+-\d+"$/);
    expect(a.headers['last-modified']).toBeDefined();
    const b = await get('/sources/203.0.113.7', { ...auth(), 'if-none-match': etag });
    expect(b.statusCode).toBe(304);
    expect(b.body).toBe('');
    expect((await get('/sources/203.0.113.7', { ...auth(), 'if-none-match': `W/${etag}, "other"` })).statusCode).toBe(304);
    f.put('203.0.113.7', { dl: 3, packets: 40, kind: 'enrich', extra: { rdns: { name: 'scanner.example.net', confirmed: true } } });
    const c = await get('/sources/203.0.113.7', { ...auth(), 'if-none-match': etag });
    expect(c.statusCode).toBe(200);
    expect(c.headers.etag).not.toBe(etag);
    expect(c.json().rdns).toEqual({ name: 'scanner.example.net', confirmed: true });
  });
});

describe('GET /sources/{ip} body cache (production path: no response validation)', () => {
  it('answers from the cache byte for byte what the validated path sends, and never a stale body after a change', async () => {
    // an own store: the lists below count the shared fixture's sources
    const g = fixture();
    g.put('203.0.113.9', { dl: 2, packets: 12, extra: { geo: { country: 'DE', city: 'Berlin' } } });
    const fast = await g.app({ validateResponses: false });
    const checking = await g.app();
    try {
      const first = await fast.inject({ url: '/sources/203.0.113.9', headers: auth() });
      const again = await fast.inject({ url: '/sources/203.0.113.9', headers: auth() });
      const checked = await checking.inject({ url: '/sources/203.0.113.9', headers: auth() });
      expect(first.statusCode, first.body).toBe(200);
      expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(again.body).toBe(first.body);
      expect(again.headers.etag).toBe(first.headers.etag);
      expect(again.headers['last-modified']).toBe(first.headers['last-modified']);
      expect(JSON.parse(first.body)).toEqual(checked.json());
      const metrics = async (): Promise<string> => (await fast.inject({ url: '/metrics', headers: auth() })).body;
      expect(await metrics()).toMatch(/probewatch_profile_cache_lookups\{result="hit"\} 1\b/);
      // a change in another part of the profile bumps the version: the next answer is composed again
      g.put('203.0.113.9', { dl: 4, packets: 99, kind: 'enrich', extra: { rdns: { name: 'cached.example.net', confirmed: false } } });
      const after = await fast.inject({ url: '/sources/203.0.113.9', headers: auth() });
      expect(after.headers.etag).not.toBe(first.headers.etag);
      expect(after.json()).toMatchObject({ dangerLevel: 4, packets: 99, rdns: { name: 'cached.example.net' } });
      expect((await fast.inject({ url: '/sources/203.0.113.9', headers: { ...auth(), 'if-none-match': after.headers.etag as string } })).statusCode).toBe(304);
    } finally {
      await fast.close();
      await checking.close();
      g.close();
    }
  });

  it('with api.profileCacheMb 0 composes every answer', async () => {
    const g = fixture({ profileCacheMb: 0 });
    const fast = await g.app({ validateResponses: false });
    try {
      g.put('198.51.100.77', { dl: 1, packets: 3 });
      for (let i = 0; i < 3; i++) expect((await fast.inject({ url: '/sources/198.51.100.77', headers: auth() })).json().packets).toBe(3);
      expect((await fast.inject({ url: '/metrics', headers: auth() })).body).toMatch(/probewatch_profile_cache_lookups\{result="hit"\} 0\b/);
    } finally {
      await fast.close();
      g.close();
    }
  });
});

describe('GET /sources filters and sorting', () => {
  beforeAll(() => {
    f.put('198.51.100.1', {
      dl: 4, packets: 900, last: T0 + 5000,
      extra: {
        geo: { country: 'US', city: 'Milton' }, as: { number: 15169, organization: 'Google' }, os: { current: osGuess('Linux', '3.11 and newer'), history: [] },
        ports: ports(['tcp', 22, 500], ['tcp', 23, 300], ['udp', 161, 100]), scanTypes: ['TCP SYN scan'],
        signatures: [{ sid: 100_206, msg: 'SCAN FIN', dl: 2, count: 4, proto: 'tcp', dports: [22], fwsnort: false, firstSeen: new Date(T0).toISOString(), lastSeen: new Date(T0).toISOString() }],
        tags: ['masscan'], sensors: ['fw1']
      },
    });
    f.put('198.51.100.2', {
      dl: 2, packets: 50, last: T0 + 4000,
      extra: {
        geo: { country: 'CN', city: 'Changchun' }, as: { number: 4134, organization: 'Chinanet' }, os: { current: osGuess('NMap', 'SYN scan', true), history: [] },
        ports: ports(['tcp', 3389, 50]), scanTypes: ['Nmap: -sT or -sS'], sensors: ['fw2'],
      },
    });
    f.put('198.51.100.3', { dl: 0, packets: 1, last: T0 + 3000, extra: { ports: ports(['udp', 53, 1]) } });
    f.whois('198.51.100.1', whoisRecord('EXAMPLE-BANK-NET', 'Example Bank plc', ['Retail banking'], 'netname: EXAMPLE-BANK-NET\ndescr: Retail banking'));
    f.whois('198.51.100.2', whoisRecord('MIL-NET', 'Ministry of Defence', ['military network'], 'netname: MIL-NET\ndescr: military network\norg-name: Ministry of Defence'));
    f.whois('198.51.100.3', whoisRecord('GOV-EXAMPLE', 'Example Government Agency', [], 'netname: GOV-EXAMPLE\norg-name: Example Government Agency'));
    f.store.indexer.catchUp();
  });

  const ips = async (q: string): Promise<string[]> => {
    const r = await get(`/sources?${q}`);
    expect(r.statusCode, `${q}: ${r.body}`).toBe(200);
    return (r.json().items as { ip: string }[]).map((x) => x.ip);
  };

  it('filters by danger level, time, family, country, ASN, OS, port, scan type, signature, tool, sensor and whois text', async () => {
    expect(await ips('minDangerLevel=2&sort=ip')).toEqual(['198.51.100.1', '198.51.100.2', '203.0.113.7']);
    expect(await ips('maxDangerLevel=0')).toEqual(['198.51.100.3']);
    expect(await ips(`since=${new Date(T0 + 4000).toISOString()}&sort=ip`)).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(await ips(`until=${new Date(T0 - 1).toISOString()}`)).toEqual([]);
    expect(await ips('family=6')).toEqual(['2001:db8::1']);
    expect(await ips('country=us')).toEqual(['198.51.100.1']);
    expect(await ips('country=US,CN&sort=ip')).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(await ips('country=US&country=NL&sort=ip')).toEqual(['198.51.100.1', '203.0.113.7']);
    expect(await ips('asn=AS4134')).toEqual(['198.51.100.2']);
    expect(await ips('os=linux')).toEqual(['198.51.100.1']);
    expect(await ips('os=Linux%203.11%20and%20newer')).toEqual(['198.51.100.1']);
    expect(await ips('os=unknown&sort=ip')).toEqual(['198.51.100.3', '203.0.113.7', '2001:db8::1']);
    expect(await ips('port=22')).toEqual(['198.51.100.1']);
    expect(await ips('port=udp/161')).toEqual(['198.51.100.1']);
    expect(await ips('port=tcp/161')).toEqual([]);
    expect(await ips('scanType=tcp%20syn%20scan')).toEqual(['198.51.100.1']);
    expect(await ips('signature=100206')).toEqual(['198.51.100.1']);
    expect(await ips('signature=scan%20fin')).toEqual(['198.51.100.1']);
    expect(await ips('tool=nmap')).toEqual(['198.51.100.2']);
    expect(await ips('tool=MASSCAN')).toEqual(['198.51.100.1']);
    expect(await ips('sensor=fw2')).toEqual(['198.51.100.2']);
    expect(await ips('whois=bank%7Cmilitary%7Cgov&sort=ip')).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);
    expect(await ips('whois=ILITAR')).toEqual(['198.51.100.2']);
    expect(await ips('whois=%25')).toEqual([]);
    expect(await ips('whois=ba')).toEqual(['198.51.100.1']);
    expect(await ips('whois=retail%20banking')).toEqual(['198.51.100.1']);
    expect((await get('/sources/198.51.100.2')).json<{ whois: { netname: string } }>().whois.netname).toBe('MIL-NET');
    expect(await ips('minDangerLevel=1&country=CN&port=3389&tool=nmap&whois=defence')).toEqual(['198.51.100.2']);
  });

  it('summarises each row with the fields filters work on', async () => {
    const r = await get('/sources?country=US');
    expect(r.json().items[0]).toEqual({
      ip: '198.51.100.1', family: 4, dangerLevel: 4, packets: 900, firstSeen: new Date(T0 + 5000).toISOString(), lastSeen: new Date(T0 + 5000).toISOString(),
      country: 'US', city: 'Milton', asn: 15169, asOrganization: 'Google', os: 'Linux 3.11 and newer', ports: ['tcp/22', 'tcp/23', 'udp/161'],
      scanTypes: ['TCP SYN scan'], tags: ['masscan'], sensors: ['fw1'], blockedUntil: null, version: expect.any(Number) as number,
    });
  });

  it('sorts by every order with the address as tie-break', async () => {
    expect(await ips('sort=-packets&limit=3')).toEqual(['198.51.100.1', '198.51.100.2', '203.0.113.7']);
    expect(await ips('sort=packets&limit=2')).toEqual(['198.51.100.3', '2001:db8::1']);
    expect(await ips('sort=-dangerLevel&limit=2')).toEqual(['198.51.100.1', '203.0.113.7']);
    expect(await ips('sort=-lastSeen&limit=1')).toEqual(['198.51.100.1']);
    expect(await ips('sort=ip&limit=2')).toEqual(['198.51.100.1', '198.51.100.2']);
    // numeric address order: IPv4 (as ::ffff:0:0/96) before 2001:db8::/32, 198.51.100.0 before 203.0.113.0
    expect(await ips('sort=-ip')).toEqual(['2001:db8::1', '203.0.113.7', '198.51.100.3', '198.51.100.2', '198.51.100.1']);
  });

  it('streams NDJSON with the cursor in a header', async () => {
    const r = await get('/sources?format=ndjson&limit=2&sort=ip');
    expect(r.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = r.body.trim().split('\n').map((l) => JSON.parse(l) as { ip: string });
    expect(lines.map((l) => l.ip)).toEqual(['198.51.100.1', '198.51.100.2']);
    const next = r.headers['x-next-page-cursor'] as string;
    expect(r.headers.link).toContain('rel="next"');
    const r2 = await get(`/sources?format=ndjson&limit=2&sort=ip&cursor=${next}`);
    expect(r2.body.trim().split('\n').map((l) => (JSON.parse(l) as { ip: string }).ip)).toEqual(['198.51.100.3', '203.0.113.7']);
  });

  it('refuses bad input with clear 400s and leaks nothing', async () => {
    const cases: [string, string][] = [
      ['limit=100001', 'PW_ERR_VALIDATION'],
      ['limit=20000', 'PW_ERR_VALIDATION'],
      ['limit=0', 'PW_ERR_VALIDATION'],
      ['limit=abc', 'PW_ERR_VALIDATION'],
      ['minDangerLevel=9', 'PW_ERR_VALIDATION'],
      ['minDangerLevel=3&maxDangerLevel=1', 'PW_ERR_VALIDATION'],
      ['sort=packets;drop', 'PW_ERR_VALIDATION'],
      ['format=xml', 'PW_ERR_VALIDATION'],
      ['country=USA', 'PW_ERR_VALIDATION'],
      ['port=99999', 'PW_ERR_VALIDATION'],
      ['port=22%27%20OR%201=1', 'PW_ERR_VALIDATION'],
      ['asn=AS99999999999', 'PW_ERR_VALIDATION'],
      ['since=yesterday', 'PW_ERR_VALIDATION'],
      ['unknownParam=1', 'PW_ERR_VALIDATION'],
      ['cursor=not-a-cursor!', 'PW_ERR_CURSOR_INVALID'],
      ['cursor=bm90LWEtY3Vyc29y', 'PW_ERR_CURSOR_INVALID'],
      ['cursor=eyJrIjoiZiIsImUiOiJhYiIsInMiOjF9', 'PW_ERR_CURSOR_INVALID'],
      ['whois=%20%7C%20%7C', 'PW_ERR_SEARCH_SYNTAX'],
      ['whois=%01bank', 'PW_ERR_SEARCH_SYNTAX'],
      ['whois=' + 'a%7C'.repeat(20), 'PW_ERR_SEARCH_SYNTAX'],
    ];
    for (const [q, code] of cases) {
      const r = await get(`/sources?${q}`);
      expect(r.statusCode, q).toBe(400);
      const body = r.json<{ code: string; detail: string }>();
      expect(body.code, `${q}: ${r.body}`).toBe(code);
      expect(r.body).not.toMatch(/at .*\.ts:\d+|node_modules|SQLITE|sqlite/i);
    }
  });

  it('treats search text as plain substrings: FTS operators and quotes cannot change the query', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 80 }), async (s) => {
      const r = await get(`/sources?whois=${encodeURIComponent(s.length === 0 ? 'x' : s)}`);
      expect([200, 400]).toContain(r.statusCode);
      if (r.statusCode === 400) expect(r.json<{ code: string }>().code).toMatch(/^PW_ERR_(SEARCH_SYNTAX|VALIDATION)$/);
    }), { numRuns: 150 });
    // FTS operators and quotes are text: "bank OR gov" is one substring, found nowhere
    expect(await ips('whois=bank%20OR%20gov')).toEqual([]);
    expect(await ips('whois=NEAR%28bank%20military%29')).toEqual([]);
    expect(await ips('whois=%22MIL-NET%22%20OR%20%22x')).toEqual([]);
    expect(await ips('whois=MIL-NET')).toEqual(['198.51.100.2']);
  });
});

describe('GET /sources paging while data arrives', () => {
  it('returns every source of the snapshot exactly once, whatever changes between pages', async () => {
    const g = fixture({ indexBatch: 50 });
    const a = await g.app();
    try {
      let seed = 7;
      const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
      const addr = (i: number): string => (i % 5 === 0 ? `2001:db8::${i.toString(16)}` : `203.0.${Math.floor(i / 250)}.${i % 250}`);
      for (let i = 0; i < 250; i++) g.put(addr(i), { dl: rnd(6), packets: 1 + rnd(1000), last: T0 + rnd(100_000) });
      g.store.indexer.catchUp();
      for (const [sort, filter] of [['-dangerLevel', ''], ['-lastSeen', '&minDangerLevel=2'], ['packets', '&family=4'], ['ip', '']] as const) {
        const snapshot = new Map<string, { dl: number; packets: number; family: number }>();
        for (const r of g.db.prepare('SELECT ip, danger_level AS dl, packets, family FROM sources').all() as { ip: string; dl: number; packets: number; family: number }[]) snapshot.set(r.ip, r);
        const expected = [...snapshot.entries()].filter(([, r]) => (filter.includes('minDangerLevel') ? r.dl >= 2 : true) && (filter.includes('family') ? r.family === 4 : true)).map(([ip]) => ip).sort();
        const seen: string[] = [];
        let cursor: string | null = null;
        let extra = 600;
        do {
          const url: string = `/sources?sort=${sort}${filter}&limit=29${cursor ? `&cursor=${cursor}` : ''}`;
          const r = await a.inject({ url, headers: auth() });
          expect(r.statusCode, r.body).toBe(200);
          const body: { items: { ip: string }[]; next_page_cursor: string | null } = r.json();
          seen.push(...body.items.map((x) => x.ip));
          cursor = body.next_page_cursor;
          // between pages: existing sources move in every sort order, new ones arrive, some are pruned
          for (let k = 0; k < 15; k++) g.put(addr(rnd(250)), { dl: rnd(6), packets: 1 + rnd(5000), last: T0 + 100_000 + rnd(100_000) });
          g.put(addr(extra++), { dl: 5, packets: 1, last: T0 + 300_000 });
          const victim = addr(rnd(250));
          g.prune(victim);
          g.db.prepare("INSERT INTO profile_changes (ip, version, kind, time) VALUES (?, 0, 'delete', ?)").run(victim, g.clock.now());
          g.clock.advance(1000);
          g.store.indexer.catchUp();
        } while (cursor !== null);
        expect(new Set(seen).size, `${sort}${filter}: duplicates`).toBe(seen.length);
        expect([...seen].sort(), `${sort}${filter}: gaps`).toEqual(expected);
      }
    } finally {
      await a.close();
      g.close();
    }
  });

  it('refuses a cursor used with other filters (400), and an expired snapshot (410)', async () => {
    const r = await get('/sources?limit=1&sort=ip');
    const cursor = r.json<{ next_page_cursor: string }>().next_page_cursor;
    const m = await get(`/sources?limit=1&sort=-ip&cursor=${cursor}`);
    expect(m.statusCode).toBe(400);
    expect(m.json<{ code: string }>().code).toBe('PW_ERR_CURSOR_MISMATCH');
    f.clock.advance(f.settings.cursorTtl * 1000 + 1);
    const e = await get(`/sources?limit=1&sort=ip&cursor=${cursor}`);
    expect(e.statusCode).toBe(410);
    expect(e.json<{ code: string }>().code).toBe('PW_ERR_CURSOR_EXPIRED');
  });
});

describe('GET /sources?os= and the OS breakdown of /stats', () => {
  it('matches OS and tool guesses by p0f name or label, and every breakdown entry gives exactly its sources', async () => {
    const g = fixture();
    const a = await g.app();
    try {
      const repo = new OsGuessRepository(g.db);
      const t = g.clock.now();
      const obs = (ip: string, label: string, dt: number): OsGuessObservation => {
        const [, cls, name, flavor] = label.split(':') as [string, string, string, string];
        return {
          ip, family: 4, time: t + dt, label, class: cls, name, flavor: flavor === '' ? null : flavor, quality: 'exact', tool: cls === '!',
          dist: 9, rawSig: `4:55+9:0:1460:${1024 + dt},0:mss::0`, muonfp: '1024:2:1460:', link: null, mtu: 1500, via: 'log', mode: 'syn',
        };
      };
      for (const ip of ['192.0.2.31', '192.0.2.32', '192.0.2.33', '192.0.2.34', '192.0.2.35']) g.put(ip, { dl: 2 });
      repo.record([
        // scanned with nmap, then its own kernel's SYN: current guess Linux, tagged by the NMap tool match
        obs('192.0.2.31', 's:!:NMap:SYN scan', 0), obs('192.0.2.31', 's:!:NMap:SYN scan', 1), obs('192.0.2.31', 's:unix:Linux:3.11 and newer', 5),
        obs('192.0.2.32', 's:!:NMap:SYN scan', 0),
        obs('192.0.2.33', 's:!:NMap:OS detection', 0),
        // labels with commas: the dashboard passes the whole label as one value
        obs('192.0.2.34', 's:win:Windows:10, 11 or Server 2016+', 0),
        obs('192.0.2.35', 's:unix:macOS:11 or newer, or iOS 14 or newer', 0),
      ], t);
      g.store.indexer.catchUp();
      const list = async (q: string): Promise<string[]> => {
        const r = await a.inject({ url: `/sources?sort=ip&${q}`, headers: auth() });
        expect(r.statusCode, r.body).toBe(200);
        return r.json<{ items: { ip: string }[] }>().items.map((x) => x.ip);
      };
      expect(await list('os=NMap')).toEqual(['192.0.2.31', '192.0.2.32', '192.0.2.33']);
      expect(await list('os=nmap%20%20SYN%20scan')).toEqual(['192.0.2.31', '192.0.2.32']);
      expect(await list('os=linux')).toEqual(['192.0.2.31']);
      expect(await list(`os=${encodeURIComponent('Windows 10, 11 or Server 2016+')}`)).toEqual(['192.0.2.34']);
      // a comma still separates alternatives
      expect(await list('os=windows,macOS')).toEqual(['192.0.2.34', '192.0.2.35']);
      expect(await list('os=NMap&os=Windows')).toEqual(['192.0.2.31', '192.0.2.32', '192.0.2.33', '192.0.2.34']);

      const stats = (await a.inject({ url: '/stats', headers: auth() })).json<{ topOs: { value: string; sources: number }[] }>();
      expect(stats.topOs).toContainEqual({ value: 'NMap SYN scan', sources: 2 });
      expect(stats.topOs).toContainEqual({ value: 'Linux 3.11 and newer', sources: 1 });
      // what the dashboard does on a click: os=<entry>; the table holds exactly the sources the entry counts
      for (const e of stats.topOs) expect(await list(`os=${encodeURIComponent(e.value)}`), e.value).toHaveLength(e.sources);
    } finally {
      await a.close();
      g.close();
    }
  });
});
