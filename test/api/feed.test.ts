// GET /feed in-process: paging and resume, formats (JSON, NDJSON, ECS, CEF), since/window, deletions, expiry, restart.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cefHeader, cefLine, cefValue } from '../../src/api/encoders/cef.ts';
import type { ResolvedEntry } from '../../src/api/encoders/event.ts';
import { baseProfile } from '../../src/store/queries/base-profile.ts';
import { auth, fixture, osGuess, ports, T0 } from './helpers.ts';
import type { Fixture } from './helpers.ts';

interface FeedBody {
  data: { event: { id: string; action: string; sequence: number; changes: string[] }; ip: string; version: number; profile: { dangerLevel: number } | null }[];
  resume_cursor: string;
  next_page_cursor?: string;
  has_more: boolean;
}

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
const get = (url: string) => app.inject({ url, headers: auth() });

describe('GET /feed', () => {
  it('pages through changes with a resume cursor on every page and next_page_cursor only while more wait', async () => {
    for (let i = 1; i <= 25; i++) f.put(`192.0.2.${i}`, { dl: i % 6, packets: i });
    f.put('192.0.2.3', { dl: 5, packets: 99 });
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    for (;;) {
      const r = await get(`/feed?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.statusCode, r.body).toBe(200);
      const b = r.json<FeedBody>();
      pages++;
      expect(b.resume_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(r.headers['x-resume-cursor']).toBe(b.resume_cursor);
      seen.push(...b.data.map((d) => d.ip));
      cursor = b.resume_cursor;
      if (!b.has_more) {
        expect(b.next_page_cursor).toBeUndefined();
        expect(r.headers.link).toBeUndefined();
        break;
      }
      expect(b.next_page_cursor).toBe(b.resume_cursor);
      expect(r.headers.link).toContain(`cursor=${b.resume_cursor}`);
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(25);
    // the source that changed twice comes once per page it changed in, with its latest state
    const again = await get(`/feed?cursor=${cursor}`);
    expect(again.json<FeedBody>().data).toEqual([]);
    f.put('192.0.2.4', { dl: 4, packets: 5, kind: 'os' });
    const next = again.json<FeedBody>();
    const r = await get(`/feed?cursor=${next.resume_cursor}`);
    const b = r.json<FeedBody>();
    expect(b.data.map((d) => [d.ip, d.event.changes])).toEqual([['192.0.2.4', ['os']]]);
    expect(b.data[0]!.event.id).toBe(`192.0.2.4:${b.data[0]!.version}`);
  });

  it('gives the same event id for the same state (at-least-once, dedup by event.id) and replays every source from the start', async () => {
    const a = (await get('/feed?limit=10000')).json<FeedBody>();
    const b = (await get('/feed?startup=true&limit=10000')).json<FeedBody>();
    expect(b.data.map((d) => d.event.id)).toEqual(a.data.map((d) => d.event.id));
    const ids = new Set(a.data.map((d) => d.ip));
    expect(ids.size).toBe(a.data.length);
    const n = f.db.prepare('SELECT count(*) FROM sources').pluck().get() as number;
    expect(ids.size).toBe(n);
  });

  it('serves NDJSON, ECS and CEF with cursors in headers', async () => {
    f.put('203.0.113.50', {
      dl: 4, packets: 77,
      extra: {
        geo: { country: 'SE', city: 'Linköping', latitude: 58.4, longitude: 15.6, countryName: 'Sweden' }, as: { number: 29518, organization: 'Bredband2 AB' },
        os: { current: osGuess('Linux', '2.2.x-3.x'), history: [] }, ports: ports(['tcp', 22, 70], ['tcp', 80, 7]),
        scanTypes: ['TCP SYN scan | with = signs \\ and\nnewline'], rdns: { name: 'scan.example.se', confirmed: true },
      },
    });
    const last = (await get('/feed?limit=10000')).json<FeedBody>();
    const tail = last.data.length - 1;
    expect(last.data[tail]!.ip).toBe('203.0.113.50');
    const nd = await get('/feed?format=ndjson&limit=10000');
    expect(nd.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(nd.headers['x-resume-cursor']).toBe(last.resume_cursor);
    const lines = nd.body.trim().split('\n').map((l) => JSON.parse(l) as FeedBody['data'][number]);
    expect(lines.map((l) => l.event.id)).toEqual(last.data.map((d) => d.event.id));

    const ecs = await get('/feed?format=ecs&limit=10000');
    expect(ecs.statusCode, ecs.body).toBe(200);
    const doc = ecs.json<{ data: { source: { ip: string }; event: { id: string }; host?: unknown }[] }>().data.find((d) => d.source.ip === '203.0.113.50')!;
    expect(doc).toMatchObject({
      event: { kind: 'enrichment', category: ['threat'], type: ['indicator'], severity: 4, id: `203.0.113.50:${lines[tail]!.version}` },
      source: { ip: '203.0.113.50', domain: 'scan.example.se', geo: { country_iso_code: 'SE', city_name: 'Linköping', location: { lat: 58.4, lon: 15.6 } }, as: { number: 29518, organization: { name: 'Bredband2 AB' } } },
      threat: { indicator: { type: 'ipv4-addr', ip: '203.0.113.50', confidence: 'High', port: [22, 80] }, technique: { id: ['T1595'] } },
      probewatch: { os: { name: 'Linux', flavor: '2.2.x-3.x', raw_sig: expect.any(String) as string }, danger_level: 4 },
    });
    expect(doc.host).toBeUndefined();
    const en = await get('/feed?format=ecs-ndjson&limit=10000');
    expect(en.body.trim().split('\n').map((l) => (JSON.parse(l) as { event: { id: string } }).event.id)).toEqual(last.data.map((d) => d.event.id));

    const cef = await get('/feed?format=cef&limit=10000');
    expect(cef.headers['content-type']).toMatch(/^text\/plain/);
    const line = cef.body.trim().split('\n').find((l) => l.includes('src=203.0.113.50'))!;
    expect(line).toMatch(/^CEF:0\|probewatch\|probewatch\|[^|]+\|profile\.update\|Scanner profile updated\|8\|/);
    const ext = parseCef(line).ext;
    expect(ext.cs5).toBe('TCP SYN scan | with = signs \\ and\nnewline');
    expect(ext.cs1).toBe('SE');
    expect(ext.cs2).toBe('AS29518');
    expect(ext.cnt).toBe('77');
    expect(ext.externalId).toBe(doc.event.id);
  });

  it('supports since and window for stateless pollers', async () => {
    f.clock.advance(60_000);
    f.put('203.0.113.60', { dl: 1 });
    f.clock.advance(60_000);
    f.put('203.0.113.61', { dl: 1 });
    const since = await get(`/feed?since=${new Date(f.clock.now() - 90_000).toISOString()}`);
    expect(since.json<FeedBody>().data.map((d) => d.ip)).toEqual(['203.0.113.60', '203.0.113.61']);
    const win = await get('/feed?window=30s');
    expect(win.json<FeedBody>().data.map((d) => d.ip)).toEqual(['203.0.113.61']);
    expect((await get('/feed?window=1d')).json<FeedBody>().data.length).toBeGreaterThan(20);
    expect((await get('/feed?window=soon')).statusCode).toBe(400);
    expect((await get(`/feed?window=5m&cursor=${since.json<FeedBody>().resume_cursor}`)).statusCode).toBe(400);
  });

  it('reports pruned sources as deletions, and expires cursors older than a forgotten deletion with 410', async () => {
    const before = (await get('/feed?limit=10000')).json<FeedBody>().resume_cursor;
    f.prune('192.0.2.7');
    for (let i = 0; i < 20 && !f.store.compactor.step(1000).wrapped; i++);
    const r = (await get(`/feed?cursor=${before}`)).json<FeedBody>();
    expect(r.data).toEqual([expect.objectContaining({ ip: '192.0.2.7', version: 0, profile: null, event: expect.objectContaining({ action: 'profile-deleted', id: '192.0.2.7:0' }) as unknown })]);
    const cef = await get(`/feed?cursor=${before}&format=cef`);
    expect(cef.body).toContain('|profile.delete|Scanner profile deleted|0|');
    f.clock.advance(f.settings.feedTombstoneRetention * 1000 + 1000);
    for (let i = 0; i < 20 && !f.store.compactor.step(1000).wrapped; i++);
    const gone = await get(`/feed?cursor=${before}`);
    expect(gone.statusCode).toBe(410);
    expect(gone.json<{ code: string }>().code).toBe('PW_ERR_CURSOR_EXPIRED');
    // restarting from the start still yields every remaining source once
    const all = (await get('/feed?limit=10000')).json<FeedBody>();
    expect(all.data.map((d) => d.ip)).not.toContain('192.0.2.7');
    expect(all.data.length).toBe(f.db.prepare('SELECT count(*) FROM sources').pluck().get());
    expect(f.db.prepare('SELECT count(*) FROM profile_changes').pluck().get()).toBe(all.data.length);
  });

  it('refuses cursors of another store, from the future, of another endpoint, and nonsense', async () => {
    const other = fixture();
    const foreignEpoch = other.store.feed.position().epoch;
    other.close();
    const foreign = Buffer.from(JSON.stringify({ k: 'f', e: foreignEpoch, s: 1 })).toString('base64url');
    expect((await get(`/feed?cursor=${foreign}`)).statusCode).toBe(410);
    const epoch = f.store.feed.position().epoch;
    const future = Buffer.from(JSON.stringify({ k: 'f', e: epoch, s: 10 ** 9 })).toString('base64url');
    expect((await get(`/feed?cursor=${future}`)).statusCode).toBe(410);
    const list = Buffer.from(JSON.stringify({ k: 'l', e: epoch, s: 1, t: 1, h: 'ab', a: [1] })).toString('base64url');
    expect((await get(`/feed?cursor=${list}`)).json<{ code: string }>().code).toBe('PW_ERR_CURSOR_INVALID');
    for (const bad of ['%00', 'e30', 'W10', 'eyJrIjoiZiIsImUiOiJ4eXoiLCJzIjotMX0', 'x'.repeat(3000)]) {
      const r = await get(`/feed?cursor=${bad}`);
      expect(r.statusCode, bad).toBe(400);
    }
    expect((await get('/feed?format=xml')).statusCode).toBe(400);
    expect((await get('/feed?limit=10001')).json<{ code: string }>().code).toBe('PW_ERR_VALIDATION');
  });
});

describe('feed resume after a restart', () => {
  it('continues from a cursor issued before the process stopped', async () => {
    const g = fixture();
    const dir = g.dir;
    const a1 = await g.app();
    g.put('198.51.100.10', { dl: 2 });
    const c = (await a1.inject({ url: '/feed', headers: auth() })).json<FeedBody>().resume_cursor;
    await a1.close();
    g.db.close();
    const h = fixture({}, dir);
    try {
      h.put('198.51.100.11', { dl: 3 });
      const a2 = await h.app();
      const r = await a2.inject({ url: `/feed?cursor=${c}`, headers: auth() });
      expect(r.statusCode).toBe(200);
      expect(r.json<FeedBody>().data.map((d) => d.ip)).toEqual(['198.51.100.11']);
      await a2.close();
    } finally {
      h.close();
      g.close = () => undefined;
      const { rmSync } = await import('node:fs');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A CEF parser written from the spec, to check what the encoder writes reads back as meant. */
function parseCef(line: string): { header: string[]; ext: Record<string, string> } {
  const header: string[] = [];
  let cur = '';
  let i = 0;
  for (; i < line.length && header.length < 7; i++) {
    const ch = line[i]!;
    if (ch === '\\' && (line[i + 1] === '|' || line[i + 1] === '\\')) { cur += line[++i]!; continue; }
    if (ch === '|') { header.push(cur); cur = ''; continue; }
    cur += ch;
  }
  const rest = line.slice(i);
  const ext: Record<string, string> = {};
  const keyAt = /(?:^| )([A-Za-z0-9_]+)=/g;
  const starts: { key: string; at: number; valueAt: number }[] = [];
  for (let m = keyAt.exec(rest); m; m = keyAt.exec(rest)) {
    // an escaped "\=" is part of a value, not a key boundary
    if (rest[m.index + m[0].length - 2] === '\\') continue;
    starts.push({ key: m[1]!, at: m.index, valueAt: m.index + m[0].length });
  }
  starts.forEach((s, k) => {
    const end = k + 1 < starts.length ? starts[k + 1]!.at : rest.length;
    const raw = rest.slice(s.valueAt, end);
    ext[s.key] = raw.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  });
  return { header, ext };
}

describe('CEF escaping', () => {
  it('escapes header pipes and backslashes, and extension backslashes, equals signs and line breaks', () => {
    expect(cefHeader('a|b\\c')).toBe('a\\|b\\\\c');
    expect(cefValue('a=b\\c\nd\re|f g')).toBe('a\\=b\\\\c\\nd\\re|f g');
  });

  it('round-trips arbitrary attacker text through a spec parser', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), (label, rdns) => {
      const p = baseProfile({ ip: '198.51.100.9', family: 4, first_seen: T0, last_seen: T0, packets: 3, danger_level: 2 });
      p.scanTypes = [label];
      p.rdns = { name: rdns, confirmed: false };
      const r: ResolvedEntry = { entry: { seq: 1, ip: p.ip, version: 2, kinds: ['detect'], time: T0, deleted: false }, profile: p, version: 2 };
      const line = cefLine(r, { version: '1|0' });
      expect(line).not.toMatch(/[\r\n]/);
      const parsed = parseCef(line);
      expect(parsed.header.slice(0, 7)).toEqual(['CEF:0', 'probewatch', 'probewatch', '1|0', 'profile.update', 'Scanner profile updated', '4']);
      if (label.length > 0) expect(parsed.ext.cs5).toBe(label);
      if (rdns.length > 0) expect(parsed.ext.shost).toBe(rdns);
      expect(parsed.ext.src).toBe('198.51.100.9');
    }), { numRuns: 2000 });
  });
});
