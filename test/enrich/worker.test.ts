import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrich as enrichSection } from '../../src/config/sections/enrich.ts';
import { openStore } from '../../src/store/db.ts';
import type { Db } from '../../src/store/db.ts';
import { createEnrichRuntime } from '../../src/cli/enrich-runtime.ts';
import type { DnsResolver } from '../../src/enrich/rdns/rdns.ts';
import type { EnrichSettings } from '../../src/enrich/providers.ts';
import { WhoisSearch } from '../../src/store/enrich-whois.ts';
import type { Behaviour, FakeWhois } from './fake-whois.ts';
import { fixture, startFakeWhois } from './fake-whois.ts';

const DB = (n: string): string => new URL(`../../fixtures/enrich/mmdb/${n}`, import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function store(): Db {
  const d = mkdtempSync(join(tmpdir(), 'pw-enrich-'));
  dirs.push(d);
  return openStore(d);
}

const answers: Record<string, Behaviour> = {
  'n + 8.8.8.8': { text: fixture('arin-multi.txt') },
  '-r 185.220.101.5': { text: fixture('ripe-inetnum.txt') },
  '-r 2a02:d300::1': { text: fixture('ripe-inet6num.txt') },
  '-r 1.0.0.1': { text: fixture('apnic.txt') },
  '200.160.2.3': { text: fixture('lacnic.txt') },
  '-r 41.0.0.1': { text: fixture('afrinic.txt') },
  'n + 23.0.0.1': { drip: fixture('arin-multi.txt'), everyMs: 100 },
  '-r 27.0.0.1': { text: fixture('garbage.txt') },
  '-r 31.0.0.1': { megabytes: 4 },
  '177.0.0.1': { reset: 'inetnum: 177.0/16\nowner: half' },
  '-r 2.2.2.2': { text: fixture('ripe-nomatch.txt') },
};
const fakes: Record<string, FakeWhois> = {};
beforeAll(async () => {
  for (const r of ['arin', 'ripe', 'apnic', 'lacnic', 'afrinic']) {
    fakes[r] = await startFakeWhois((q) => (r === 'ripe' && q === '-r 5.5.5.5') ? { text: fixture('ripe-denied.txt') } : answers[q] ?? { text: '%ERROR:101: no entries found\n' });
  }
});
afterAll(async () => { for (const f of Object.values(fakes)) await f.close(); });

const resolver: DnsResolver = {
  reverse: (ip) => Promise.resolve(ip === '8.8.8.8' ? { names: ['dns.google.'], ttl: 600 } : ip === '1.0.0.1' ? { names: ['spoofed.example.'], ttl: 60 } : { names: [], ttl: null }),
  forward: (name) => Promise.resolve(name === 'dns.google' ? { addresses: ['8.8.8.8', '8.8.4.4'], ttl: 300 } : { addresses: ['192.0.2.1'], ttl: 60 }),
};

function settings(extra: Partial<EnrichSettings> = {}): EnrichSettings {
  return {
    ...structuredClone(enrichSection.defaults),
    mmdb: [DB('GeoLite2-City-Test.mmdb'), DB('GeoLite2-ASN-Test.mmdb')],
    whoisServers: Object.entries(fakes).map(([r, f]) => `${r}=${f.host}:${f.port}`),
    whoisQps: ['arin=50', 'ripe=50', 'apnic=50', 'lacnic=50', 'afrinic=50', 'other=50'],
    whoisDeadline: 2.5, whoisIdleTimeout: 1.5, // generous: a loaded CI machine must not turn answers into deadline failures
    whoisMaxBytes: 65536, retryBase: 60, ...extra,
  };
}

describe('enrichment worker with a real store, fake registries and a fake resolver', () => {
  it('stores each registry case with the state it should have', async () => {
    const db = store();
    const rt = createEnrichRuntime(db, settings(), { resolver });
    const now = Date.now();
    const items = ['8.8.8.8', '8.8.8.9', '185.220.101.5', '2a02:d300::1', '1.0.0.1', '200.160.2.3', '41.0.0.1', '23.0.0.1', '27.0.0.1', '31.0.0.1', '177.0.0.1', '2.2.2.2', '10.9.9.9']
      .map((ip, i) => ({ ip, dangerLevel: 3 as const, lastSeen: now - i }));
    items.push({ ip: '81.2.69.142', dangerLevel: 1 as 3, lastSeen: now });
    expect(rt.queue.enqueue(items, now)).toEqual({ queued: items.length, evicted: 0 });
    await rt.worker.runUntilIdle();
    const v = (ip: string) => rt.state.view(ip);

    expect(v('8.8.8.8')).toMatchObject({
      whois: { netname: 'GOGL', originAs: 15169, registry: 'arin', parsed: true }, rdns: { name: 'dns.google', confirmed: true },
      enrichment: { whois: { state: 'done' }, rdns: { state: 'done' }, geo: { state: 'done' }, asn: { state: 'done' } },
    });
    // same netblock: answered from the cache, one query for both
    expect(v('8.8.8.9').whois!.netname).toBe('GOGL');
    expect(fakes.arin!.queries.filter((q) => q.query.startsWith('n + 8.8.8.')).length).toBe(1);
    expect(v('185.220.101.5').whois).toMatchObject({ netname: 'TOR-EXIT', originAs: 60729 });
    expect(v('2a02:d300::1').whois).toMatchObject({ netname: 'UA-TELECOM-V6', originAs: 64500 });
    expect(v('1.0.0.1')).toMatchObject({ whois: { netname: 'APNIC-LABS' }, as: { number: 15169 }, rdns: { name: 'spoofed.example', confirmed: false } });
    expect(v('200.160.2.3').whois!.abuse).toBe('cert@cert.example.br');
    expect(v('41.0.0.1').whois!.orgName).toMatch(/Example Internet/);
    expect(v('23.0.0.1').enrichment.whois).toMatchObject({ state: 'failed', reason: expect.stringMatching(/deadline.*retry 1/) });
    expect(v('27.0.0.1')).toMatchObject({ whois: { parsed: false }, enrichment: { whois: { state: 'done', reason: 'unparsed answer' } } });
    expect(v('27.0.0.1').whois!.raw).toContain('not whois');
    expect(v('31.0.0.1').enrichment.whois.reason).toMatch(/truncated/);
    expect(v('31.0.0.1').whois!.raw.length).toBeLessThanOrEqual(65536);
    expect(v('177.0.0.1').enrichment.whois).toMatchObject({ state: 'failed', reason: expect.stringMatching(/ECONNRESET.*retry/) });
    expect(v('2.2.2.2')).toMatchObject({ whois: null, enrichment: { whois: { state: 'done', reason: expect.stringMatching(/no match/) } } });
    expect(v('10.9.9.9').enrichment.whois).toMatchObject({ state: 'skipped', reason: expect.stringMatching(/IANA reserved 10\/8/) });
    // below the danger threshold: geo yes, network no
    expect(v('81.2.69.142')).toMatchObject({ geo: { country: 'GB', city: 'London' }, enrichment: { whois: { state: 'skipped' }, rdns: { state: 'skipped' } } });
    expect(fakes.ripe!.queries.some((q) => q.query.includes('81.2.69.142'))).toBe(false);
    // retryable failures wait in the queue with a backoff; everything else left it
    expect(rt.queue.size()).toBe(2);
    const waiting = db.prepare('SELECT ip, attempts, not_before FROM enrich_queue ORDER BY ip').all() as { ip: string; attempts: number; not_before: number }[];
    expect(waiting.map((w) => w.ip)).toEqual(['177.0.0.1', '23.0.0.1']);
    for (const w of waiting) {
      expect(w.attempts).toBe(1);
      expect(w.not_before).toBeGreaterThan(now + 25_000); // 60 s base with ±50 % jitter
    }
    // every change went to the outbox
    expect(db.prepare("SELECT count(DISTINCT ip) FROM profile_changes WHERE kind = 'enrich'").pluck().get()).toBe(items.length);
    // whois text search: egrep -i "bank|military" semantics, substring and case-insensitive
    const search = new WhoisSearch(db);
    expect(search.sources('MILITARY|nothing-like-this')).toEqual(['8.8.8.8', '8.8.8.9']);
    expect(search.sources('ukrainian')).toEqual(['2a02:d300::1']);
    for (const evil of ['"', 'a" OR "b', 'NEAR(x y)', '*', 'raw:bank', "') OR 1=1 --", '%', '_']) expect(() => search.sources(evil)).not.toThrow();
    expect(search.sources('q%')).toEqual([]); // the % is literal, not a LIKE wildcard
    expect(search.sources('%').length).toBeGreaterThan(0); // RIPE comment lines
    await rt.stop();
    db.close();
  });

  it('ERROR:201 puts the registry in a cooldown: no further query to it', async () => {
    const db = store();
    const rt = createEnrichRuntime(db, settings({ rdns: false }), { resolver });
    const before = fakes.ripe!.queries.length;
    rt.queue.enqueue([{ ip: '5.5.5.5', dangerLevel: 5, lastSeen: 2 }], Date.now());
    await rt.worker.runUntilIdle();
    rt.queue.enqueue([{ ip: '185.220.101.5', dangerLevel: 4, lastSeen: 1 }], Date.now());
    await rt.worker.runUntilIdle();
    expect(fakes.ripe!.queries.length - before).toBe(1);
    expect(rt.state.view('5.5.5.5').enrichment.whois).toMatchObject({ state: 'failed', reason: expect.stringMatching(/access denied/) });
    expect(rt.state.view('185.220.101.5').enrichment.whois).toMatchObject({ state: 'pending', reason: expect.stringMatching(/cooling down/) });
    const row = db.prepare("SELECT cooldown_until FROM whois_registry WHERE registry = 'ripe'").pluck().get() as number;
    expect(row).toBeGreaterThan(Date.now() + 5 * 3600_000);
    const q = db.prepare("SELECT not_before FROM enrich_queue WHERE ip = '185.220.101.5'").pluck().get() as number;
    expect(q).toBe(row);
    await rt.stop();
    db.close();
  });

  it('--no-whois and --no-rdns switch the providers off: state disabled, no query', async () => {
    const db = store();
    const rt = createEnrichRuntime(db, settings({ whois: false, rdns: false }), { resolver });
    const before = Object.values(fakes).reduce((n, f) => n + f.queries.length, 0);
    rt.queue.enqueue([{ ip: '8.8.8.8', dangerLevel: 5, lastSeen: 1 }], Date.now());
    await rt.worker.runUntilIdle();
    expect(rt.state.view('8.8.8.8').enrichment).toMatchObject({ whois: { state: 'disabled' }, rdns: { state: 'disabled' }, geo: { state: 'done' } });
    expect(Object.values(fakes).reduce((n, f) => n + f.queries.length, 0)).toBe(before);
    expect(rt.queue.size()).toBe(0);
    await rt.stop();
    db.close();
  });

  it('keeps the queue bounded: the lowest-danger, oldest rows go first, and a danger rise re-queues', () => {
    const db = store();
    const rt = createEnrichRuntime(db, settings({ queueSize: 100 }), { resolver });
    const items = Array.from({ length: 150 }, (_, i) => ({ ip: `203.0.113.${i}`, dangerLevel: (i % 3) as 0 | 1 | 2, lastSeen: 1000 + i }));
    const r = rt.queue.enqueue(items, Date.now());
    expect(r).toEqual({ queued: 150, evicted: 50 });
    expect(rt.queue.size()).toBe(100);
    const left = db.prepare('SELECT danger, count(*) AS n FROM enrich_queue GROUP BY danger ORDER BY danger').all();
    expect(left).toEqual([{ danger: 1, n: 50 }, { danger: 2, n: 50 }]);
    // the sources rows exist for every queued address (created when missing)
    expect(db.prepare('SELECT count(*) FROM sources').pluck().get()).toBe(150);
    db.close();
  });

  it('re-checks geo of every source when the database file changes, without feed noise when nothing changed', async () => {
    const db = store();
    const rt = createEnrichRuntime(db, settings({ whois: false, rdns: false, mmdbCheckInterval: 1 }), { resolver });
    rt.queue.enqueue([{ ip: '81.2.69.142', dangerLevel: 1, lastSeen: 1 }], Date.now());
    await rt.worker.runUntilIdle();
    const changes = (): number => db.prepare('SELECT count(*) FROM profile_changes').pluck().get() as number;
    const c0 = changes();
    // a sweep with the same databases finds nothing to do
    await rt.worker.runUntilIdle();
    expect(changes()).toBe(c0);
    db.close();
  });
});
