// analyze --mmdb FILE… --whois: geo/ASN from MaxMind's test databases and whois from a fake RIPE server on 127.0.0.1,
// on each --json profile (with each provider's state) and in the text report.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { SourceProfile } from '../../src/domain/profile.ts';
import { fixture, startFakeWhois } from '../enrich/fake-whois.ts';
import type { FakeWhois } from '../enrich/fake-whois.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pw-analyze-enrich-'));
const MMDB = new URL('../../fixtures/enrich/mmdb/', import.meta.url).pathname;
const CASES = new URL('../../fixtures/cases/', import.meta.url).pathname;
let whois: FakeWhois;
let config = '';
const log = join(tmp, 'scan.log');

beforeAll(async () => {
  // the c1 corpus (real kernel LOG lines of an nmap scan) with its scanners moved into ranges the test databases know
  const text = gunzipSync(readFileSync(join(CASES, 'c1-nmap-stock', 'input.log.gz'))).toString('utf8')
    .replaceAll('SRC=203.0.113.10 ', 'SRC=81.2.69.160 ').replaceAll('SRC=203.0.113.11 ', 'SRC=89.160.20.112 ');
  writeFileSync(log, text);
  const ripe = fixture('ripe-inetnum.txt').replaceAll('185.220.100.0 - 185.220.101.255', '81.2.69.0 - 81.2.69.255');
  whois = await startFakeWhois((q) => (q === '-r 81.2.69.160' ? { text: ripe } : { text: '%ERROR:101: no entries found\n' }));
  config = join(tmp, 'pw.yaml');
  const at = `${whois.host}:${String(whois.port)}`;
  writeFileSync(config, `enrich:\n  whoisServers: [arin=${at}, ripe=${at}, apnic=${at}, lacnic=${at}, afrinic=${at}]\n  minDangerLevel: 2\n`);
});
afterAll(async () => {
  await whois.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => { out += String(s); return true; });
  process.stderr.write = (() => true);
  try {
    return { code: await main(argv), out };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

const mmdb = ['--mmdb', join(MMDB, 'GeoLite2-City-Test.mmdb'), '--mmdb', join(MMDB, 'GeoLite2-ASN-Test.mmdb')];

describe('analyze --mmdb --whois', () => {
  it('puts geo, AS, whois and provider states on every --json profile', async () => {
    const r = await cli('analyze', '--config', config, '--json', '--no-progress', '--no-rdns', '--whois', ...mmdb, log);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { sources: SourceProfile[] };
    const london = doc.sources.find((s) => s.ip === '81.2.69.160');
    expect(london?.dangerLevel).toBeGreaterThanOrEqual(2);
    expect(london?.geo).toMatchObject({ country: 'GB', city: 'London' });
    expect(london?.whois).toMatchObject({ netname: 'TOR-EXIT', country: 'DE', range: expect.stringContaining('81.2.69.0') as unknown });
    expect(london?.enrichment.whois.state).toBe('done');
    expect(london?.enrichment.rdns.state).toBe('disabled');
    const sweden = doc.sources.find((s) => s.ip === '89.160.20.112');
    expect(sweden?.as).toMatchObject({ number: 29518, organization: 'Bredband2 AB' });
    expect(sweden?.geo?.country).toBe('SE');
    // the fake saw RIPE-style queries (personal data off) and nothing for sources below the minimum level
    expect(whois.queries.map((q) => q.query)).toContain('-r 81.2.69.160');
    for (const s of doc.sources.filter((x) => x.dangerLevel < 2)) expect(s.enrichment.whois.state).toBe('skipped');
  });

  it('shows location, AS and whois in the text report, and no network lookups without --whois', async () => {
    const before = whois.queries.length;
    const r = await cli('analyze', '--config', config, '--no-progress', ...mmdb, log);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/SRC: {2}81\.2\.69\.160,[^\n]*\n[^\n]*\n {4}Location: London, GB/);
    expect(r.out).toMatch(/Location: Linköping, SE\n {4}AS: 29518 Bredband2 AB/);
    expect(whois.queries.length).toBe(before);
  });
});
