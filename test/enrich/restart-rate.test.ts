import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { EnrichQueue } from '../../src/store/enrich-queue.ts';
import { enrich as enrichSection } from '../../src/config/sections/enrich.ts';
import type { EnrichSettings } from '../../src/enrich/providers.ts';
import { enrichOffline } from '../../src/enrich/offline.ts';
import { createEnrichRuntime } from '../../src/cli/enrich-runtime.ts';
import { startFakeWhois } from './fake-whois.ts';

const CITY = new URL('../../fixtures/enrich/mmdb/GeoLite2-City-Test.mmdb', import.meta.url).pathname;
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An ARIN-format answer for the /24 of the queried address. */
function arinFor(q: string): string {
  const ip = q.replace(/^n \+ /, '');
  const net = ip.split('.').slice(0, 3).join('.');
  return `# start\n\nNetRange:       ${net}.0 - ${net}.255\nCIDR:           ${net}.0/24\nNetName:        NET-${net.replace(/\./g, '-')}\nNetType:        Direct Allocation\nOrganization:   Example Org (EX-1)\nRegDate:        2020-01-01\nUpdated:        2021-01-01\n\nOrgName:        Example Org\nOrgId:          EX-1\nCountry:        US\n\n# end\n`;
}

function child(dir: string, port: number): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', new URL('./restart-child.ts', import.meta.url).pathname, dir, String(port), CITY], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(c);
  return c;
}

const waitFor = (c: ChildProcess, word: string, ms: number): Promise<void> => new Promise((res, rej) => {
  const t = setTimeout(() => { rej(new Error(`child did not print ${word} within ${ms} ms`)); }, ms);
  c.stdout!.on('data', (d: Buffer) => { if (d.toString().includes(word)) { clearTimeout(t); res(); } });
});

describe('restart and pacing', () => {
  it('kill -9 with a full queue, restart: every source enriched exactly once', async () => {
    const fake = await startFakeWhois((q) => ({ text: arinFor(q) }));
    const dir = mkdtempSync(join(tmpdir(), 'pw-restart-'));
    dirs.push(dir);
    const N = 120;
    const ips = Array.from({ length: N }, (_, i) => `23.${Math.floor(i / 200)}.${i % 200}.7`);
    const db = openStore(dir);
    new EnrichQueue(db, { maxRows: 1000, minDangerLevel: 2 }).enqueue(ips.map((ip, i) => ({ ip, dangerLevel: 3, lastSeen: i })), Date.now());
    db.close();

    const first = child(dir, fake.port);
    await waitFor(first, 'started', 20_000);
    // 40 queries per second: after ~1.2 s about a third is done and a few are in flight
    while (fake.queries.length < 40) await new Promise((r) => setTimeout(r, 20));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const beforeRestart = fake.queries.length;
    expect(beforeRestart).toBeLessThan(N);

    const second = child(dir, fake.port);
    await waitFor(second, 'idle', 30_000);
    second.kill('SIGKILL');
    await new Promise((r) => second.once('exit', r));

    const check = openStore(dir);
    const states = check.prepare("SELECT ip, state FROM enrich_state WHERE provider = 'whois'").all() as { ip: string; state: string }[];
    expect(states.length).toBe(N);
    expect(states.every((s) => s.state === 'done')).toBe(true);
    // each source's profile changed exactly twice: geo pass, then whois (a query repeated after the kill stores nothing new)
    const perIp = check.prepare("SELECT ip, count(*) AS n FROM profile_changes WHERE kind = 'enrich' GROUP BY ip").all() as { ip: string; n: number }[];
    expect(perIp.length).toBe(N);
    expect(perIp.filter((r) => r.n !== 2)).toEqual([]);
    expect(check.prepare('SELECT count(*) FROM enrich_queue').pluck().get()).toBe(0);
    // every source was asked for; only queries in flight at the kill can have been repeated
    const asked = new Map<string, number>();
    for (const q of fake.queries) asked.set(q.query, (asked.get(q.query) ?? 0) + 1);
    expect(asked.size).toBe(N);
    const repeats = [...asked.values()].reduce((n, c) => n + c - 1, 0);
    expect(repeats).toBeLessThanOrEqual(4 * 6 + 4); // maxInFlight of the child
    check.close();
    await fake.close();
  });

  it('never sends a registry more queries per second than configured', async () => {
    const fake = await startFakeWhois(() => ({ text: '%ERROR:101: no entries found\n' }));
    const dir = mkdtempSync(join(tmpdir(), 'pw-rate-'));
    dirs.push(dir);
    const db = openStore(dir);
    const qps = 5;
    const cfg = {
      ...structuredClone(enrichSection.defaults), mmdb: [CITY], rdns: false, whoisServers: [`ripe=127.0.0.1:${fake.port}`],
      whoisQps: [`ripe=${qps}`], whoisConcurrency: 3,
    } as EnrichSettings;
    const rt = createEnrichRuntime(db, cfg);
    rt.queue.enqueue(Array.from({ length: 15 }, (_, i) => ({ ip: `185.${i}.1.1`, dangerLevel: 4 as const, lastSeen: i })), Date.now());
    await rt.worker.runUntilIdle();
    const t = fake.queries.map((q) => q.at).sort((a, b) => a - b);
    expect(t.length).toBe(15);
    // any qps+1 consecutive queries span at least one second: never more than qps in any one-second window
    for (let i = 0; i + qps < t.length; i++) expect(t[i + qps]! - t[i]!).toBeGreaterThanOrEqual(1000);
    // and no bursts: single gaps only shrink by the arrival jitter of the previous query
    for (let i = 0; i + 1 < t.length; i++) expect(t[i + 1]! - t[i]!).toBeGreaterThanOrEqual(1000 / qps / 2);
    await rt.stop();
    db.close();
    await fake.close();
  });

  it('offline enrichment for analyze: geo for all, whois only from the danger level, per netblock', async () => {
    const fake = await startFakeWhois((q) => ({ text: arinFor(q) }));
    const cfg = {
      ...structuredClone(enrichSection.defaults), mmdb: [CITY], rdns: false, whoisServers: [`arin=127.0.0.1:${fake.port}`],
    } as EnrichSettings;
    const out = await enrichOffline([
      { ip: '23.1.2.3', dangerLevel: 3 }, { ip: '23.1.2.4', dangerLevel: 3 }, { ip: '81.2.69.142', dangerLevel: 1 }, { ip: '::ffff:23.1.2.5', dangerLevel: 2 },
    ], cfg);
    expect([...out.keys()]).toEqual(['23.1.2.3', '23.1.2.4', '81.2.69.142', '23.1.2.5']);
    expect(out.get('23.1.2.3')).toMatchObject({ whois: { netname: 'NET-23-1-2', orgName: 'Example Org' }, enrichment: { whois: { state: 'done' }, rdns: { state: 'disabled' } } });
    expect(out.get('81.2.69.142')).toMatchObject({ geo: { country: 'GB', city: 'London' }, whois: null, enrichment: { geo: { state: 'done' }, whois: { state: 'skipped' } } });
    expect(fake.queries.length).toBe(1);
    const off = await enrichOffline([{ ip: '23.1.2.3', dangerLevel: 5 }], { ...cfg, whois: false });
    expect(off.get('23.1.2.3')!.enrichment.whois.state).toBe('disabled');
    await fake.close();
  });
});
