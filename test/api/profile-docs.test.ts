// Stored GET /sources/{ip} bodies (api.profileDocs): served only while current, byte for byte a fresh answer, rebuilt after a shape change.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_SPEC } from '../../src/api/app.ts';
import { profileBodies, profileBodiesFromFile } from '../../src/api/profile-body.ts';
import { enrich as enrichSection } from '../../src/config/sections/enrich.ts';
import { apiStore, ProfileDocs } from '../../src/store/queries/index.ts';
import type { ApiStore } from '../../src/store/queries/index.ts';
import { auth, fixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

const bodies = profileBodiesFromFile(DEFAULT_SPEC, enrichSection.defaults);
const fixtures: Fixture[] = [];
const apps: FastifyInstance[] = [];

afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const f of fixtures.splice(0)) f.close();
});

function keep(f: Fixture): Fixture {
  fixtures.push(f);
  return f;
}

/** A fixture whose store keeps bodies (as serve wires it) and an app that reads them. */
async function setup(settings: { profileCacheMb?: number } = {}): Promise<{ f: Fixture; store: ApiStore; app: FastifyInstance }> {
  const f = keep(fixture({ profileCacheMb: settings.profileCacheMb ?? 0 }));
  const store = apiStore(f.db, f.reader, f.settings, f.clock, bodies);
  store.docs!.adopt();
  const app = await f.app({ sources: store.sources, serializeProfile: bodies.serialize, validateResponses: false });
  apps.push(app);
  return { f, store, app };
}

const docRow = (f: Fixture, ip: string): { version: number; body: Buffer } | undefined =>
  f.db.prepare<[string], { version: number; body: Buffer }>('SELECT version, body FROM api_profile_docs WHERE ip = ?').get(ip);
const versionOf = (f: Fixture, ip: string): number => f.db.prepare<[string], number>('SELECT version FROM sources WHERE ip = ?').pluck().get(ip)!;

describe('stored profile bodies', () => {
  it('are written by the indexer and are byte for byte the fresh answer, with the same validators', async () => {
    const { f, store, app } = await setup();
    f.put('198.51.100.7', { dl: 3, packets: 40 });
    f.put('2001:db8::5', { dl: 1, packets: 2 });
    store.indexer.catchUp();
    for (const ip of ['198.51.100.7', '2001:db8::5']) {
      const row = docRow(f, ip);
      expect(row?.version).toBe(versionOf(f, ip));
      expect(row!.body.toString('utf8')).toBe(bodies.serialize(f.reader.read(ip)!));
      const res = await app.inject({ url: `/sources/${ip}`, headers: auth() });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(row!.body.toString('utf8'));
      expect(res.headers.etag).toMatch(new RegExp(`-${versionOf(f, ip)}"$`));
      expect(res.headers['last-modified']).toBe(new Date(f.clock.now()).toUTCString());
    }
    // a server keeping no bodies answers the same bytes
    const plain = await f.app({ serializeProfile: bodies.serialize, validateResponses: false });
    apps.push(plain);
    const res = await plain.inject({ url: '/sources/198.51.100.7', headers: auth() });
    expect(res.body).toBe(docRow(f, '198.51.100.7')!.body.toString('utf8'));
  });

  it('are served only for the version they were written for: a change not yet indexed is composed fresh', async () => {
    const { f, store, app } = await setup();
    f.put('203.0.113.9', { dl: 2, packets: 10 });
    store.indexer.catchUp();
    // mark the stored body: an answer carrying the mark can only have come from the row
    const v1 = versionOf(f, '203.0.113.9');
    f.db.prepare('UPDATE api_profile_docs SET body = ? WHERE ip = ?').run(Buffer.from('{"marked":true}'), '203.0.113.9');
    expect((await app.inject({ url: '/sources/203.0.113.9', headers: auth() })).body).toBe('{"marked":true}');
    // new packets: the version moves on before the indexer runs
    f.clock.advance(5000);
    f.put('203.0.113.9', { dl: 4, packets: 99 });
    expect(versionOf(f, '203.0.113.9')).toBeGreaterThan(v1);
    const fresh = await app.inject({ url: '/sources/203.0.113.9', headers: auth() });
    expect(fresh.body).not.toContain('marked');
    expect(JSON.parse(fresh.body)).toMatchObject({ packets: 99, dangerLevel: 4 });
    expect(fresh.body).toBe(bodies.serialize(f.reader.read('203.0.113.9')!));
    // the next index step writes the body of the new version
    store.indexer.catchUp();
    expect(docRow(f, '203.0.113.9')).toEqual({ version: versionOf(f, '203.0.113.9'), body: Buffer.from(fresh.body) });
  });

  it('behind the body cache (a body cached on its second request): a cached older version is replaced by the stored body of the new one; revalidation on either path', async () => {
    const { f, store, app } = await setup({ profileCacheMb: 1 });
    const ip = '198.51.100.44';
    const mark = (text: string): void => { f.db.prepare('UPDATE api_profile_docs SET body = ? WHERE ip = ?').run(Buffer.from(text), ip); };
    const get = async (etag?: string) => app.inject({ url: `/sources/${ip}`, headers: { ...auth(), ...(etag ? { 'if-none-match': etag } : {}) } });
    f.put(ip, { dl: 1, packets: 3 });
    store.indexer.catchUp();
    mark('{"v":1}');
    // not cached: version and stored body come from one read
    const first = await get();
    expect(first.body).toBe('{"v":1}');
    expect((await get(first.headers.etag as string)).statusCode).toBe(304);
    // a stored body is cached on its second request: the first left nothing behind, the second is cached …
    mark('{"v":"1b"}');
    expect((await get()).body).toBe('{"v":"1b"}');
    // … so a change of the row at the same version is no longer seen
    mark('{"v":"1c"}');
    expect((await get()).body).toBe('{"v":"1b"}');
    // a new version, indexed: the cache holds an older one, so the stored body of the new version answers
    f.clock.advance(1000);
    f.put(ip, { dl: 2, packets: 30 });
    store.indexer.catchUp();
    mark('{"v":2}');
    const second = await get();
    expect(second.body).toBe('{"v":2}');
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect((await get(second.headers.etag as string)).statusCode).toBe(304);
    expect((await get(first.headers.etag as string)).statusCode).toBe(200);
    // and it is now the cached answer
    mark('{"v":"2b"}');
    expect((await get()).body).toBe('{"v":2}');
    // a newer version not yet indexed: composed, never the stored body of the older version
    f.clock.advance(1000);
    f.put(ip, { dl: 3, packets: 300 });
    expect(JSON.parse((await get()).body)).toMatchObject({ ip, dangerLevel: 3, packets: 300 });
    expect((await app.inject({ url: '/sources/198.51.100.45', headers: auth() })).statusCode).toBe(404);
  });

  it('feed the NDJSON export while current; otherwise the line carries the profile serialised now', async () => {
    const { f, store, app } = await setup();
    f.put('198.51.100.20', { dl: 2, packets: 5 });
    f.put('198.51.100.21', { dl: 1, packets: 3 });
    store.indexer.catchUp();
    f.db.prepare('UPDATE api_profile_docs SET body = ? WHERE ip = ?').run(Buffer.from('{"marked":true}'), '198.51.100.20');
    const lines = async (): Promise<{ ip: string; version: number; event: { id: string }; profile: unknown }[]> => {
      const res = await app.inject({ url: '/feed?format=ndjson&limit=100', headers: auth() });
      expect(res.statusCode).toBe(200);
      return res.body.trim().split('\n').map((l) => JSON.parse(l) as { ip: string; version: number; event: { id: string }; profile: unknown });
    };
    let byIp = new Map((await lines()).map((l) => [l.ip, l]));
    expect(byIp.get('198.51.100.20')).toMatchObject({ version: versionOf(f, '198.51.100.20'), profile: { marked: true } });
    // the same event the JSON feed gives, field for field
    const json = await app.inject({ url: '/feed?limit=100', headers: auth() });
    const ev = (JSON.parse(json.body) as { data: { ip: string }[] }).data.find((d) => d.ip === '198.51.100.21');
    expect(byIp.get('198.51.100.21')).toEqual(ev);
    // a change not yet indexed: the line is the new version, composed now; a pruned source is a deletion
    f.put('198.51.100.20', { dl: 3, packets: 50 });
    f.prune('198.51.100.21');
    byIp = new Map((await lines()).map((l) => [l.ip, l]));
    expect(byIp.get('198.51.100.20')).toMatchObject({ version: versionOf(f, '198.51.100.20'), profile: { packets: 50, dangerLevel: 3 } });
    expect(byIp.get('198.51.100.21')).toMatchObject({ version: 0, profile: null, event: { id: '198.51.100.21:0' } });
  });

  it('go with their source, and are dropped when the indexer finds the source gone', () => {
    const f = keep(fixture());
    const store = apiStore(f.db, f.reader, f.settings, f.clock, bodies);
    store.docs!.adopt();
    f.put('192.0.2.1', { packets: 1 });
    f.put('192.0.2.2', { packets: 1 });
    store.indexer.catchUp();
    expect(store.docs!.count()).toBe(2);
    f.prune('192.0.2.1');
    expect(docRow(f, '192.0.2.1')).toBeUndefined();
    expect(store.docs!.count()).toBe(1);
  });

  it('of another shape are never read; adopting drops them and the rebuild writes every source again', () => {
    const f = keep(fixture());
    const store = apiStore(f.db, f.reader, f.settings, f.clock, bodies);
    store.docs!.adopt();
    const ips = Array.from({ length: 7 }, (_x, i) => `198.51.100.${10 + i}`);
    for (const ip of ips) f.put(ip, { packets: 3 });
    store.indexer.catchUp();
    expect(store.docs!.count()).toBe(7);
    // the rebuild a fresh store starts with finds every body current
    expect(store.indexer.rebuildDocs(100)).toEqual({ visited: 7, written: 0, done: true });
    expect(store.docs!.rebuildCursor()).toBeNull();

    // another enrichment policy changes what a body says (whois pending vs disabled): another shape
    const other = profileBodies(readFileSync(DEFAULT_SPEC, 'utf8'), { ...enrichSection.defaults, whois: !enrichSection.defaults.whois });
    expect(other.shape).not.toBe(bodies.shape);
    const second = apiStore(f.db, f.reader, f.settings, f.clock, other);
    expect(second.docs!.get(ips[0]!)).toBeUndefined();
    expect(second.sources.doc(ips[0]!)).toBeUndefined();
    expect(second.docs!.adopt()).toBe(7);
    expect(second.docs!.count()).toBe(0);
    expect(second.docs!.rebuildCursor()).toBe('');
    let steps = 0;
    let written = 0;
    for (;;) {
      const r = second.indexer.rebuildDocs(3);
      steps++;
      written += r.written;
      if (r.done) break;
    }
    expect(steps).toBe(3);
    expect(written).toBe(7);
    for (const ip of ips) {
      expect(docRow(f, ip)?.body.toString('utf8')).toBe(other.serialize(f.reader.read(ip)!));
      expect(docRow(f, ip)?.version).toBe(versionOf(f, ip));
    }
    // a finished rebuild does nothing more; the first process's store no longer trusts the rows
    expect(second.indexer.rebuildDocs(3)).toEqual({ visited: 0, written: 0, done: true });
    expect(new ProfileDocs(f.db, bodies.shape).get(ips[0]!)).toBeUndefined();
  });

  it('are all dropped when the setting is turned off', () => {
    const f = keep(fixture());
    const store = apiStore(f.db, f.reader, f.settings, f.clock, bodies);
    store.docs!.adopt();
    f.put('192.0.2.9', { packets: 1 });
    store.indexer.catchUp();
    expect(store.docs!.count()).toBe(1);
    const off = apiStore(f.db, f.reader, { ...f.settings, profileDocs: false }, f.clock, bodies);
    expect(off.docs).toBeNull();
    new ProfileDocs(f.db, bodies.shape).abandon();
    expect(store.docs!.count()).toBe(0);
    expect(new ProfileDocs(f.db, bodies.shape).get('192.0.2.9')).toBeUndefined();
  });
});
