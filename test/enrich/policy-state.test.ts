// whois/rDNS skipped by the danger-level policy: profiles say skipped (not pending), the backlog ignores them, a rise queues.
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnrichRuntime } from '../../src/cli/enrich-runtime.ts';
import type { EnrichRuntime } from '../../src/cli/enrich-runtime.ts';
import { dashboard as dashboardSection } from '../../src/config/sections/dashboard.ts';
import { enrich as enrichSection } from '../../src/config/sections/enrich.ts';
import type { EnrichPolicy } from '../../src/domain/enrichment.ts';
import type { SourceProfile } from '../../src/domain/profile.ts';
import type { DnsResolver } from '../../src/enrich/rdns/rdns.ts';
import type { EnrichSettings } from '../../src/enrich/providers.ts';
import { dashboardStore } from '../../src/store/dashboard.ts';
import { BaseProfileReader } from '../../src/store/queries/base-profile.ts';
import { StoreProfileReader } from '../../src/store/queries/profile-reader.ts';
import { auth, fixture } from '../api/helpers.ts';
import type { Fixture } from '../api/helpers.ts';

const DB = (n: string): string => new URL(`../../fixtures/enrich/mmdb/${n}`, import.meta.url).pathname;
// no PTR anywhere: rDNS finishes as done ("no PTR record") without a network
const resolver: DnsResolver = { reverse: () => Promise.resolve({ names: [], ttl: 60 }), forward: () => Promise.resolve({ addresses: [], ttl: 60 }) };
// documentation addresses: whois skips them before any query (not a registry's), so no whois server is needed
const LOW0 = '203.0.113.10'; // level 0: detect never queues it
const LOW1 = '203.0.113.11'; // level 1: queued, geo done, whois/rDNS skipped by policy
const RISER = '198.51.100.7'; // level 1, later 3

function settings(min: number, extra: Partial<EnrichSettings> = {}): EnrichSettings {
  return { ...structuredClone(enrichSection.defaults), mmdb: [DB('GeoLite2-City-Test.mmdb'), DB('GeoLite2-ASN-Test.mmdb')], minDangerLevel: min, ...extra };
}

let f: Fixture;
const runtimes: EnrichRuntime[] = [];
beforeEach(() => { f = fixture(); });
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop();
  await app?.close();
  app = null;
  f.close();
});

function runtime(min: number, extra: Partial<EnrichSettings> = {}): EnrichRuntime {
  const rt = createEnrichRuntime(f.db, settings(min, extra), { resolver, clock: f.clock });
  runtimes.push(rt);
  return rt;
}

/** The rollups over the store's reader with `policy`, folded up to now; returns the backlog card's value. */
function backlog(policy: EnrichPolicy): number {
  const reader = new StoreProfileReader(f.db, new BaseProfileReader(f.db), policy);
  const dash = dashboardStore(f.db, reader, dashboardSection.defaults, f.clock, policy);
  dash.writer.catchUp();
  return dash.queries.overview('24h', f.clock.now()).cards.enrichBacklog.value;
}

let app: FastifyInstance | null = null;
async function profile(ip: string): Promise<SourceProfile> {
  app ??= await f.app();
  const res = await app.inject({ url: `/sources/${ip}`, headers: auth() });
  expect(res.statusCode).toBe(200);
  return res.json<SourceProfile>();
}

describe('enrichment below enrich.minDangerLevel', () => {
  it('is skipped (not pending) in GET /sources/{ip} and the backlog; a rise to the level makes it pending and queues it', async () => {
    const rt = runtime(2);
    const policy = settings(2);
    f.put(LOW0, { dl: 0, packets: 3 });
    f.put(LOW1, { dl: 1, packets: 9 });
    f.put(RISER, { dl: 1, packets: 9 });
    // what the serve pipeline does on a level change (level 0 sources have none)
    rt.queue.enqueue([{ ip: LOW1, dangerLevel: 1, lastSeen: f.clock.now() }, { ip: RISER, dangerLevel: 1, lastSeen: f.clock.now() }], f.clock.now());
    await rt.worker.runUntilIdle();
    expect(rt.queue.size()).toBe(0);

    for (const ip of [LOW0, LOW1, RISER]) {
      const p = await profile(ip);
      expect(p.enrichment.whois, ip).toMatchObject({ state: 'skipped', reason: 'below enrich.minDangerLevel 2' });
      expect(p.enrichment.rdns, ip).toMatchObject({ state: 'skipped', reason: 'below enrich.minDangerLevel 2' });
      // geo/ASN is done for every source, the level-0 one by the background sweep
      expect(p.enrichment.geo.state, ip).toBe('done');
    }
    expect(backlog(policy)).toBe(0);

    // the riser reaches the level: pending at once, queued, counted as backlog until the worker answers
    f.put(RISER, { dl: 3, packets: 40 });
    rt.queue.enqueue([{ ip: RISER, dangerLevel: 3, lastSeen: f.clock.now() }], f.clock.now());
    expect(rt.queue.size()).toBe(1);
    const risen = await profile(RISER);
    expect(risen.enrichment.whois).toMatchObject({ state: 'pending', reason: expect.stringMatching(/^queued: danger level 3/) });
    expect(risen.enrichment.rdns.state).toBe('pending');
    expect(backlog(policy)).toBe(1);

    await rt.worker.runUntilIdle();
    expect(rt.queue.size()).toBe(0);
    const done = await profile(RISER);
    // the whois client's own verdict (a documentation address has no registry), no longer the policy's
    expect(done.enrichment.whois).toMatchObject({ state: 'skipped', reason: 'documentation address (RFC 5737)' });
    expect(done.enrichment.rdns).toMatchObject({ state: 'done', reason: 'no PTR record' });
    expect(backlog(policy)).toBe(0);
    // the others are untouched
    expect((await profile(LOW1)).enrichment.whois.state).toBe('skipped');
  });

  it('a lowered level turns skipped sources pending, re-folds the backlog and queues them at the next start', async () => {
    const rt = runtime(2);
    f.put(LOW0, { dl: 0 });
    f.put(LOW1, { dl: 1 });
    rt.queue.enqueue([{ ip: LOW1, dangerLevel: 1, lastSeen: f.clock.now() }], f.clock.now());
    await rt.worker.runUntilIdle();
    expect(backlog(settings(2))).toBe(0);
    await rt.stop();
    runtimes.length = 0;

    // restart with enrich.minDangerLevel 1: the stored skip no longer holds for LOW1 (level 1), still does for LOW0
    const lowered = settings(1);
    const reader = new StoreProfileReader(f.db, new BaseProfileReader(f.db), lowered);
    expect(reader.read(LOW1)!.enrichment.whois.state).toBe('pending');
    expect(reader.read(LOW0)!.enrichment.whois).toMatchObject({ state: 'skipped', reason: 'below enrich.minDangerLevel 1' });
    // nothing about LOW1 changed in the store, yet the rollups follow the new policy
    expect(backlog(lowered)).toBe(1);
    // one source per slice: the start-up walk goes past LOW0 (below the level) to LOW1
    const rt2 = runtime(1, { geoBatch: 1 });
    expect(rt2.queue.size()).toBe(0);
    await rt2.worker.runUntilIdle();
    expect(reader.read(LOW1)!.enrichment.whois).toMatchObject({ state: 'skipped', reason: 'documentation address (RFC 5737)' });
    expect(rt2.queue.size()).toBe(0);
    expect(backlog(lowered)).toBe(0);
  });

  it('whois or rDNS switched off shows disabled, never pending', () => {
    f.put(LOW0, { dl: 4 });
    const reader = new StoreProfileReader(f.db, new BaseProfileReader(f.db), { minDangerLevel: 2, whois: false, rdns: true });
    const p = reader.read(LOW0)!;
    expect(p.enrichment.whois).toMatchObject({ state: 'disabled' });
    expect(p.enrichment.rdns.state).toBe('pending');
  });
});
