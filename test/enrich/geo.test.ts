import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GeoProvider } from '../../src/enrich/geo/geo-provider.ts';
import { MmdbWriter } from '../../src/enrich/geo/mmdb-writer.ts';
import { bundledDatabases, planDatabases } from '../../src/enrich/geo/default-dbs.ts';
import { prefetchDatabases } from '../../src/enrich/geo/mmdb-file.ts';

const DB = (n: string): string => new URL(`../../fixtures/enrich/mmdb/${n}`, import.meta.url).pathname;
const CITY = DB('GeoLite2-City-Test.mmdb');
const COUNTRY = DB('GeoLite2-Country-Test.mmdb');
const ASN = DB('GeoLite2-ASN-Test.mmdb');
const ANON = DB('GeoIP2-Anonymous-IP-Test.mmdb');
const tmp = mkdtempSync(join(tmpdir(), 'pw-geo-'));
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });

function v4Only(path: string, country: string): void {
  const w = new MmdbWriter({ databaseType: 'Test-Country-IPv4', ipVersion: 4, description: 'IPv4-only test database' });
  w.insert('203.0.113.0/24', { country: { iso_code: country } });
  writeFileSync(path, w.toBuffer());
}

describe('geo/ASN against the MaxMind test databases', () => {
  const geo = new GeoProvider({ files: [CITY, ASN, ANON], fallback: [] });

  it('finds London, Japan and AS15169', () => {
    const a = geo.lookup('81.2.69.142')!;
    expect(a.geo).toMatchObject({ country: 'GB', city: 'London', countryName: 'United Kingdom', continent: 'EU', timezone: 'Europe/London' });
    expect(a.geoState).toMatchObject({ state: 'done', source: 'GeoLite2-City (GeoLite2-City-Test.mmdb)', build: '2026-02-04T22:49:29.000Z' });
    expect(a.geo!.anonymous).toMatchObject({ vpn: true, tor: true });
    expect(geo.lookup('2001:218::')!.geo!.country).toBe('JP');
    const g = geo.lookup('1.0.0.1')!;
    expect(g.as).toEqual({ number: 15169, organization: 'Google Inc.', network: '1.0.0.0/24' });
    expect(g.asnState.state).toBe('done');
  });

  it('uses the location country, not the registered country', () => {
    // 81.2.69.142 is located in GB and registered in US in the test data
    expect(geo.lookup('81.2.69.142')!.geo!.country).toBe('GB');
  });

  it('normalises addresses: mapped IPv6, zone ids, brackets; refuses non-addresses and leading zeros', () => {
    expect(geo.lookup('::ffff:81.2.69.142')!).toMatchObject({ ip: '81.2.69.142', geo: { city: 'London' } });
    expect(geo.lookup('[2001:218::1]')!.geo!.country).toBe('JP');
    expect(geo.lookup('2001:218::1%eth0')!.ip).toBe('2001:218::1');
    expect(geo.lookup('1.0.0.1%eth0')).toBeNull();
    expect(geo.lookup('01.0.0.1')).toBeNull();
    expect(geo.lookup('not-an-ip')).toBeNull();
  });

  it('an address no database knows is done with a reason, not an error', () => {
    const r = geo.lookup('10.0.0.1')!;
    expect(r.geo).toBeNull();
    expect(r.geoState).toMatchObject({ state: 'done', reason: 'not in database' });
  });

  it('refuses an IPv6 address against an IPv4-only database instead of answering garbage', () => {
    const p = join(tmp, 'v4.mmdb');
    v4Only(p, 'NL');
    const g = new GeoProvider({ files: [p], fallback: [] });
    expect(g.lookup('203.0.113.9')!.geo!.country).toBe('NL');
    const r = g.lookup('2001:218::1')!;
    expect(r.geo).toBeNull();
    expect(r.geoState).toMatchObject({ state: 'skipped', reason: 'IPv6 address in an IPv4-only database' });
    // the reference reader refuses the same way
    const ref = spawnSync('mmdblookup', ['--file', p, '--ip', '2001:218::1'], { encoding: 'utf8' });
    if (ref.error) console.warn('mmdblookup not installed (apt-get install mmdb-bin): reference comparison skipped');
    else expect(ref.status).toBe(4);
  });

  it('falls back from city to a country database, and routes v4/v6 across split files', () => {
    const p = join(tmp, 'v4b.mmdb');
    v4Only(p, 'SE');
    const g = new GeoProvider({ files: [p, COUNTRY], fallback: [] });
    expect(g.lookup('203.0.113.1')!.geo!.country).toBe('SE');
    // the v4-only file refuses, the country database (IPv6 tree) answers
    expect(g.lookup('2001:218::1')!.geo!.country).toBe('JP');
  });

  it('replaces a database atomically and keeps the old one when the new file is truncated or garbage', () => {
    const live = join(tmp, 'live.mmdb');
    v4Only(live, 'NL');
    const g = new GeoProvider({ files: [live], fallback: [] });
    const key0 = g.key;
    expect(g.lookup('203.0.113.5')!.geo!.country).toBe('NL');
    // atomic replacement (write + rename)
    v4Only(`${live}.new`, 'BE');
    renameSync(`${live}.new`, live);
    expect(g.reloadChanged()).toBe(true);
    expect(g.key).not.toBe(key0);
    expect(g.lookup('203.0.113.5')!.geo!.country).toBe('BE');
    // a half-written file in place: never crashes, keeps answering from the previous generation
    const full = readFileSync(CITY);
    writeFileSync(live, full.subarray(0, Math.floor(full.length / 2)));
    expect(g.reloadChanged()).toBe(false);
    expect(g.lookup('203.0.113.5')!.geo!.country).toBe('BE');
    expect(g.describe()[0]!.error).toBeTruthy();
    // a file with valid metadata but a corrupt data section (maxmind's own watcher dies on this one)
    const bad = Buffer.from(full);
    const metaAt = bad.lastIndexOf(Buffer.from('MaxMind.com'));
    bad.fill(0xee, 3000, metaAt - 100);
    writeFileSync(live, bad);
    expect(g.reloadChanged()).toBe(false);
    expect(g.lookup('203.0.113.5')!.geo!.country).toBe('BE');
    // and the good file again
    copyFileSync(CITY, live);
    expect(g.reloadChanged()).toBe(true);
    expect(g.lookup('81.2.69.142')!.geo!.city).toBe('London');
  });

  it('opens from an image read ahead only while the file is the one that was read', async () => {
    // read ahead, then the file is rewritten in place with the same size, inode and mtime: the image read ahead is used
    // (that is how the test sees it is used at all: the file now says BE)
    const same = join(tmp, 'ahead-same.mmdb');
    v4Only(same, 'NL');
    utimesSync(same, 1_700_000_000, 1_700_000_000); // whole seconds: set again exactly after the rewrite
    const st = statSync(same);
    await prefetchDatabases([same]).done;
    v4Only(same, 'BE');
    utimesSync(same, 1_700_000_000, 1_700_000_000);
    expect(statSync(same).ino).toBe(st.ino);
    expect(statSync(same).size).toBe(st.size);
    expect(new GeoProvider({ files: [same], fallback: [] }).lookup('203.0.113.5')!.geo!.country).toBe('NL');
    // taken once: a second provider reads the file itself
    expect(new GeoProvider({ files: [same], fallback: [] }).lookup('203.0.113.5')!.geo!.country).toBe('BE');
    // replaced (new inode) after the read-ahead: the stale image is not used
    const moved = join(tmp, 'ahead-moved.mmdb');
    v4Only(moved, 'NL');
    await prefetchDatabases([moved]).done;
    v4Only(`${moved}.new`, 'BE');
    renameSync(`${moved}.new`, moved);
    expect(new GeoProvider({ files: [moved], fallback: [] }).lookup('203.0.113.5')!.geo!.country).toBe('BE');
    // a missing or unreadable file is left to the load, which reports it
    await expect(prefetchDatabases([join(tmp, 'absent.mmdb'), tmp]).done).resolves.toBeUndefined();
    // released before the load: the image is dropped and the load reads the file
    const dropped = join(tmp, 'ahead-dropped.mmdb');
    v4Only(dropped, 'NL');
    utimesSync(dropped, 1_700_000_000, 1_700_000_000);
    const ahead = prefetchDatabases([dropped]);
    await ahead.done;
    ahead.release();
    v4Only(dropped, 'BE');
    utimesSync(dropped, 1_700_000_000, 1_700_000_000);
    expect(new GeoProvider({ files: [dropped], fallback: [] }).lookup('203.0.113.5')!.geo!.country).toBe('BE');
    const g = new GeoProvider({ files: [join(tmp, 'absent.mmdb')], fallback: [] });
    expect(g.describe()[0]!.error).toMatch(/cannot stat/);
  });

  it('arbitrary bytes as a database never throw out of the provider', () => {
    const p = join(tmp, 'fuzz.mmdb');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (bytes, withMarker) => {
      const buf = withMarker ? Buffer.concat([Buffer.from(bytes), Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), Buffer.from(bytes.slice(0, 64))]) : Buffer.from(bytes);
      writeFileSync(p, buf);
      const g = new GeoProvider({ files: [p], fallback: [] });
      const r = g.lookup('81.2.69.142');
      expect(r).not.toBeNull();
    }), { numRuns: 150 });
  });

  it('the bundled open databases are installed and answer on a machine with no configuration', () => {
    const b = bundledDatabases();
    expect(b.city.length).toBe(2);
    const plan = planDatabases({ mmdb: [], mmdbDirs: [join(tmp, 'none')], bundledGeo: true });
    expect(plan.origin).toBe('bundled');
    const g = new GeoProvider(plan);
    const r = g.lookup('81.2.69.142')!;
    expect(r.geo!.country).toBe('GB');
    expect(r.geoState.source).toMatch(/dbip-city-ipv4/);
    // --mmdb replaces the default entirely
    expect(planDatabases({ mmdb: [CITY], mmdbDirs: [], bundledGeo: true })).toEqual({ files: [CITY], fallback: [], origin: 'configured' });
  });
});
