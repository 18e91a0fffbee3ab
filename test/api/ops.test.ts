// /blocklist (text, JSON deltas), /stats, /metrics, /healthz, /readyz and /openapi.yaml in-process.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, fixture, osGuess, ports, whoisRecord } from './helpers.ts';
import type { Fixture } from './helpers.ts';

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

interface Delta { new: string[]; deleted: string[]; cursor: string }

describe('GET /blocklist', () => {
  it('lists sources at or above the level as text, and sends exact JSON deltas between snapshots', async () => {
    f.put('192.0.2.1', { dl: 5 });
    f.put('192.0.2.2', { dl: 3 });
    f.put('192.0.2.3', { dl: 2 });
    f.put('2001:db8::3', { dl: 4 });
    f.store.indexer.catchUp();
    const text = await get('/blocklist');
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expect(text.body).toBe('192.0.2.1\n192.0.2.2\n2001:db8::3\n');
    expect((await get('/blocklist?minDangerLevel=5')).body).toBe('192.0.2.1\n');
    const start = (await get('/blocklist?format=json')).json<Delta>();
    expect(start).toMatchObject({ new: ['192.0.2.1', '192.0.2.2', '2001:db8::3'], deleted: [] });

    f.put('192.0.2.3', { dl: 3 }); // rises to the level
    f.put('192.0.2.2', { dl: 1 }); // falls below
    f.put('192.0.2.1', { dl: 5, packets: 10 }); // changes but stays in
    f.put('192.0.2.4', { dl: 0 }); // new, below
    f.prune('2001:db8::3');
    f.db.prepare("INSERT INTO profile_changes (ip, version, kind, time) VALUES ('2001:db8::3', 0, 'delete', 0)").run();
    f.store.indexer.catchUp();
    const d = (await get(`/blocklist?format=json&cursor=${start.cursor}`)).json<Delta>();
    expect(d).toMatchObject({ new: ['192.0.2.3'], deleted: ['192.0.2.2', '2001:db8::3'] });
    const none = (await get(`/blocklist?format=json&cursor=${d.cursor}`)).json<Delta>();
    expect(none).toMatchObject({ new: [], deleted: [] });
    expect((await get(`/blocklist?format=json&cursor=${d.cursor}&startup=true`)).json<Delta>().new).toEqual(['192.0.2.1', '192.0.2.3']);

    const mismatch = await get(`/blocklist?format=json&minDangerLevel=4&cursor=${d.cursor}`);
    expect(mismatch.json<{ code: string }>().code).toBe('PW_ERR_CURSOR_MISMATCH');
    expect((await get(`/blocklist?cursor=${d.cursor}`)).statusCode).toBe(400);
    // once the index history the cursor needs is dropped, the client must start over
    f.put('192.0.2.5', { dl: 5 });
    f.store.indexer.catchUp();
    f.clock.advance(f.settings.cursorTtl * 1000 + 1);
    f.put('192.0.2.5', { dl: 1 });
    f.store.indexer.catchUp();
    f.clock.advance(f.settings.cursorTtl * 1000 + 1);
    f.store.indexer.gc();
    const gone = await get(`/blocklist?format=json&cursor=${d.cursor}`);
    expect(gone.statusCode).toBe(410);
  });
});

describe('GET /stats', () => {
  it('counts sources, packets, levels, and tops ports, countries, ASNs, OS labels and tools', async () => {
    const g = fixture({ statsCacheTtl: 0 });
    const a = await g.app();
    try {
      g.put('198.51.100.1', { dl: 4, packets: 100, extra: { geo: { country: 'US', city: null }, as: { number: 15169, organization: 'Google' }, os: { current: osGuess('Linux', '3.11 and newer'), history: [] }, ports: ports(['tcp', 22, 90], ['tcp', 80, 10]), tags: ['masscan'] } });
      g.put('198.51.100.2', { dl: 4, packets: 50, extra: { geo: { country: 'US', city: null }, as: { number: 15169, organization: 'Google' }, ports: ports(['tcp', 22, 50]), os: { current: osGuess('NMap', 'SYN scan', true), history: [] } } });
      g.put('2001:db8::9', { dl: 1, packets: 5, extra: { geo: { country: 'DE', city: null }, ports: ports(['udp', 53, 5]), whois: whoisRecord('X', 'Y') } });
      g.store.indexer.catchUp();
      const s = (await a.inject({ url: '/stats?top=5', headers: auth() })).json<Record<string, unknown>>();
      expect(s).toMatchObject({
        sources: 3, packets: 155, byDangerLevel: [0, 1, 0, 0, 2, 0], byFamily: { ipv4: 2, ipv6: 1 },
        topPorts: [{ value: 'tcp/22', sources: 2 }, { value: 'tcp/80', sources: 1 }, { value: 'udp/53', sources: 1 }],
        topCountries: [{ value: 'US', sources: 2 }, { value: 'DE', sources: 1 }],
        topAsns: [{ value: '15169', sources: 2, organization: 'Google' }],
        topOs: [{ value: 'Linux 3.11 and newer', sources: 1 }, { value: 'NMap SYN scan', sources: 1 }, { value: 'unknown', sources: 1 }],
        topTools: [{ value: 'masscan', sources: 1 }, { value: 'NMap', sources: 1 }],
        index: { lag: 0 },
      });
      expect((s.changesPerMinute as Record<string, number>).detect).toBeGreaterThan(0);
      // a source leaving a facet decrements it; stats never scan the sources table
      g.put('198.51.100.2', { dl: 5, packets: 60, extra: { geo: { country: 'FR', city: null }, ports: [] } });
      g.store.indexer.catchUp();
      const t = (await a.inject({ url: '/stats', headers: auth() })).json<Record<string, unknown>>();
      expect(t).toMatchObject({ packets: 165, byDangerLevel: [0, 1, 0, 0, 1, 1], topCountries: [{ value: 'DE', sources: 1 }, { value: 'FR', sources: 1 }, { value: 'US', sources: 1 }], topPorts: [{ value: 'tcp/22', sources: 1 }, { value: 'tcp/80', sources: 1 }, { value: 'udp/53', sources: 1 }] });
      expect((await a.inject({ url: '/stats?top=0', headers: auth() })).statusCode).toBe(400);
      expect((await a.inject({ url: '/stats?top=101', headers: auth() })).statusCode).toBe(400);
    } finally {
      await a.close();
      g.close();
    }
  });
});

describe('health, readiness, metrics, spec', () => {
  it('says live always, ready only when every check is', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    f.checks.push({ name: 'log:/var/log/kern.log', ready: false, detail: 'waiting for the file to appear' });
    const r = await app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ ready: false, checks: [{ name: 'store', ready: true, detail: 'open' }, { name: 'log:/var/log/kern.log', ready: false, detail: 'waiting for the file to appear' }] });
    f.checks.pop();
  });

  it('exposes Prometheus metrics with bounded labels', async () => {
    await get('/sources/192.0.2.1');
    await get('/sources/192.0.2.99');
    const m = await get('/metrics');
    expect(m.headers['content-type']).toMatch(/^text\/plain/);
    expect(m.body).toMatch(/probewatch_sources\{danger_level="5"\} \d+/);
    expect(m.body).toMatch(/probewatch_http_requests_total\{operation="getSource",status="2xx"\} \d+/);
    expect(m.body).toMatch(/probewatch_http_requests_total\{operation="getSource",status="4xx"\} \d+/);
    expect(m.body).toContain('probewatch_feed_sequence');
    expect(m.body).not.toMatch(/192\.0\.2/);
  });

  it('serves its own specification', async () => {
    const r = await app.inject({ url: '/openapi.yaml' });
    expect(r.headers['content-type']).toMatch(/^application\/yaml/);
    expect(r.body).toMatch(/^openapi: 3\.1\.0/);
  });
});
