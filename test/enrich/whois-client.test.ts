import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry, WhoisBlock, WhoisCache } from '../../src/domain/enrichment.ts';
import { WhoisClient } from '../../src/enrich/whois/whois-client.ts';
import type { WhoisClientOptions } from '../../src/enrich/whois/whois-client.ts';
import { parseRange, rangeHolds } from '../../src/enrich/whois/range.ts';
import { parseIp } from '../../src/domain/address.ts';
import type { Behaviour, FakeWhois } from './fake-whois.ts';
import { fixture, startFakeWhois } from './fake-whois.ts';

/** In-memory netblock cache for the client tests (the SQLite one is tested with the worker). */
class MemCache implements WhoisCache {
  blocks: WhoisBlock[] = [];
  find(ip: string, notBefore: number): WhoisBlock | null {
    const p = parseIp(ip)!;
    return this.blocks.find((b) => b.fetchedAt >= notBefore && rangeHolds(parseRange(`${b.first} - ${b.last}`)!, p.bytes)) ?? null;
  }
  save(b: Omit<WhoisBlock, 'id'>): WhoisBlock {
    const s = { ...b, id: this.blocks.length + 1 };
    this.blocks.push(s);
    return s;
  }
}

const answers: Record<string, Behaviour> = {
  'n + 8.8.8.8': { text: fixture('arin-multi.txt') },
  'n + 104.151.0.1': { text: fixture('arin-referral-ripe.txt') },
  '-r 104.151.0.1': { text: fixture('ripe-transferred.txt') },
  '-r 185.220.101.5': { text: fixture('ripe-inetnum.txt') },
  '-r 185.220.100.5': { text: fixture('ripe-inetnum.txt') },
  '-r 2a02:d300::1': { text: fixture('ripe-inet6num.txt') },
  '-r 1.0.0.1': { text: fixture('apnic.txt') },
  '200.160.2.3': { text: fixture('lacnic.txt') },
  '-r 41.0.0.1': { text: fixture('afrinic.txt') },
  '-r 2.2.2.2': { text: fixture('ripe-nomatch.txt') },
  '-r 5.5.5.5': { text: fixture('ripe-denied.txt') },
  'n + 23.0.0.1': { drip: fixture('arin-multi.txt'), everyMs: 100 },
  '-r 31.0.0.1': { megabytes: 5 },
  '-r 27.0.0.1': { text: fixture('garbage.txt') },
  '177.0.0.1': { reset: 'inetnum: 177.0/16\nowner: half an ans' },
};

const servers: Partial<Record<Registry, FakeWhois>> = {};
beforeAll(async () => {
  for (const r of ['arin', 'ripe', 'apnic', 'lacnic', 'afrinic'] as const) {
    servers[r] = await startFakeWhois((q) => answers[q] ?? { text: '%ERROR:101: no entries found\n' });
  }
});
afterAll(async () => { for (const s of Object.values(servers)) await s.close(); });

function client(extra: Partial<WhoisClientOptions> = {}): WhoisClient {
  const map = Object.fromEntries(Object.entries(servers).map(([k, s]) => [k, { host: s.host, port: s.port }])) as WhoisClientOptions['servers'];
  return new WhoisClient({ servers: map, deadlineMs: 2000, idleMs: 1500, maxBytes: 65536, maxReferrals: 2, refreshMs: 86_400_000, ...extra });
}

describe('whois client against a fake server in each registry format', () => {
  it('ARIN: asks "n + ADDR", keeps the most specific of several networks, and caches by netblock', async () => {
    const cache = new MemCache();
    const c = client({ cache });
    const r = await c.lookup('8.8.8.8');
    expect(servers.arin!.queries.map((q) => q.query)).toContain('n + 8.8.8.8');
    expect(r.kind).toBe('done');
    if (r.kind !== 'done') return;
    expect(r.info).toMatchObject({
      registry: 'arin', range: '8.8.8.0 - 8.8.8.255', cidrs: ['8.8.8.0/24'], netname: 'GOGL', orgName: 'Google LLC', orgId: 'GOGL',
      country: 'US', abuse: 'network-abuse@google.com', status: 'Direct Allocation', created: '2023-12-28', originAs: 15169, parsed: true,
    });
    expect(r.info!.descr).toContain('Google Public DNS');
    const before = servers.arin!.queries.length;
    const again = await c.lookup('8.8.8.200');
    expect(again).toMatchObject({ kind: 'done', cached: true });
    expect(servers.arin!.queries.length).toBe(before);
    // outside the /24: a new query
    await c.lookup('8.8.9.1');
    expect(servers.arin!.queries.length).toBe(before + 1);
  });

  it('follows ARIN\'s referral to RIPE, asking RIPE with -r', async () => {
    const r = await client().lookup('104.151.0.1');
    expect(servers.ripe!.queries.map((q) => q.query)).toContain('-r 104.151.0.1');
    expect(r).toMatchObject({ kind: 'done', registry: 'ripe', info: { netname: 'EXAMPLE-HOSTING-NET', country: 'GB', abuse: 'abuse@example-hosting.eu' } });
  });

  it('RIPE inetnum with route objects: the most specific route gives the origin, the inetnum keeps its own dates', async () => {
    const a = await client().lookup('185.220.101.5');
    expect(a).toMatchObject({ kind: 'done', info: { netname: 'TOR-EXIT', originAs: 60729, created: '2019-01-01T00:00:00.000Z', orgId: 'ORG-ZA1-RIPE', abuse: 'abuse@for-privacy.net', cidrs: ['185.220.100.0/23'] } });
    const b = await client().lookup('185.220.100.5');
    expect(b).toMatchObject({ kind: 'done', info: { originAs: 205100 } });
  });

  it('RIPE inet6num with route6', async () => {
    const r = await client().lookup('2a02:d300::1');
    expect(r).toMatchObject({ kind: 'done', info: { range: '2a02:d300:: - 2a02:d307:ffff:ffff:ffff:ffff:ffff:ffff', cidrs: ['2a02:d300::/29'], originAs: 64500, country: 'UA' } });
  });

  it('APNIC: irt abuse mailbox, route origin', async () => {
    const r = await client().lookup('1.0.0.1');
    expect(r).toMatchObject({ kind: 'done', registry: 'apnic', info: { netname: 'APNIC-LABS', country: 'AU', abuse: 'helpdesk@apnic.net', originAs: 13335, status: 'ASSIGNED PORTABLE' } });
  });

  it('LACNIC: abbreviated CIDR, owner, aut-num, abuse-c person mailbox, YYYYMMDD dates', async () => {
    const r = await client().lookup('200.160.2.3');
    expect(r).toMatchObject({
      kind: 'done', registry: 'lacnic',
      info: { range: '200.160.0.0 - 200.160.15.255', orgName: 'Núcleo de Inf. e Coord. do Ponto BR - NIC.BR', orgId: '005.506.560/0001-36', abuse: 'cert@cert.example.br', originAs: 22548, created: '1998-03-23', updated: '2017-02-27', country: 'BR' },
    });
  });

  it('AFRINIC: organisation object gives the name and abuse mailbox', async () => {
    const r = await client().lookup('41.0.0.1');
    expect(r).toMatchObject({ kind: 'done', registry: 'afrinic', info: { orgName: 'Example Internet Service Provider (Pty) Ltd', abuse: 'abuse@isp.example.za', country: 'ZA' } });
  });

  it('no match, access denied, garbage', async () => {
    expect(await client().lookup('2.2.2.2')).toMatchObject({ kind: 'done', info: null, reason: expect.stringMatching(/no match/) });
    const denied: string[] = [];
    expect(await client({ onDenied: (r) => denied.push(r) }).lookup('5.5.5.5')).toMatchObject({ kind: 'denied', registry: 'ripe' });
    expect(denied).toEqual(['ripe']);
    const g = await client().lookup('27.0.0.1');
    expect(g).toMatchObject({ kind: 'done', reason: 'unparsed answer', info: { parsed: false, netname: null } });
    if (g.kind === 'done') expect(g.info!.raw).toContain('not whois');
  });

  it('cuts a slow drip at the whole-query deadline though it never goes idle', async () => {
    const t0 = performance.now();
    const r = await client({ deadlineMs: 700, idleMs: 500 }).lookup('23.0.0.1');
    const took = performance.now() - t0;
    expect(r).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/deadline/) });
    expect(took).toBeLessThan(1500);
  });

  it('caps a multi-megabyte answer and closes the connection', async () => {
    const t0 = performance.now();
    const r = await client({ maxBytes: 65536 }).lookup('31.0.0.1');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.kind).toBe('done');
    if (r.kind !== 'done') return;
    expect(r.info!.raw.length).toBeLessThanOrEqual(65536);
    expect(r.reason).toMatch(/truncated/);
  });

  it('a reset is a retryable failure; private and documentation addresses are not asked', async () => {
    expect(await client().lookup('177.0.0.1')).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/ECONNRESET/) });
    expect(await client().lookup('10.1.2.3')).toMatchObject({ kind: 'skipped' });
    expect(await client().lookup('192.0.2.1')).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/documentation/) });
    expect(await client().lookup('2001:db8::1')).toMatchObject({ kind: 'skipped' });
  });
});
