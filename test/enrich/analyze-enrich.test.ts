// `probewatch analyze --mmdb FILE… [--whois]`: geo/ASN, whois and each provider's state in the text report and in every
// source of --json, through the real CLI dispatcher, the MaxMind test databases and a fake RIPE whois server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { SourceProfile } from '../../src/domain/profile.ts';
import type { FakeWhois } from './fake-whois.ts';
import { fixture, startFakeWhois } from './fake-whois.ts';

const SHARED = '/work/shared/data/mmdb';
const dbDir = existsSync(join(SHARED, 'GeoLite2-City-Test.mmdb')) ? SHARED : new URL('../../fixtures/enrich/mmdb', import.meta.url).pathname;
const CITY = join(dbDir, 'GeoLite2-City-Test.mmdb');
const ASN = join(dbDir, 'GeoLite2-ASN-Test.mmdb');
const SCANNER = '89.160.20.130'; // test data: Linköping, SE; AS29518 Bredband2 (RIPE region)
const ONE = '81.2.69.142'; // test data: London, GB (one packet: danger level 1, below enrich.minDangerLevel)

const tmp = mkdtempSync(join(tmpdir(), 'pw-an-enrich-'));
let fake: FakeWhois;
beforeAll(async () => {
  fake = await startFakeWhois((q) => (q.includes(SCANNER) ? { text: fixture('ripe-inetnum.txt') } : { text: '%ERROR:101: no entries found\n' }));
});
afterAll(async () => { await fake.close(); rmSync(tmp, { recursive: true, force: true }); });

const line = (src: string, dport: number): string =>
  `Nov 26 10:00:${String(dport % 60).padStart(2, '0')} fw1 kernel: DROP IN=eth0 OUT= MAC=02:00:00:00:77:01:02:00:00:00:77:02:08:00 SRC=${src} DST=192.0.2.1 `
  + `LEN=44 TOS=0x00 PREC=0x00 TTL=47 ID=${dport} PROTO=TCP SPT=40001 DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 \n`;
const log = join(tmp, 'kern.log');
let text = '';
for (let p = 1; p <= 40; p++) text += line(SCANNER, 1000 + p);
text += line(ONE, 22);
writeFileSync(log, text);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => { out += String(s); return true; });
  process.stderr.write = ((s: string | Uint8Array) => { err += String(s); return true; });
  try {
    return { code: await main(argv), out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

describe('analyze --mmdb / --whois', () => {
  it('adds geo and ASN to the report and to each --json source, with provider states, and no network query', async () => {
    const r = await cli('analyze', '--json', '--no-progress', '--mmdb', CITY, '--mmdb', ASN, log);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out) as { sources: SourceProfile[] };
    const by = new Map(doc.sources.map((s) => [s.ip, s]));
    expect(by.get(SCANNER)!.dangerLevel).toBeGreaterThanOrEqual(2);
    expect(by.get(SCANNER)).toMatchObject({
      geo: { country: 'SE', city: 'Linköping' }, as: { number: 29518, organization: 'Bredband2 AB' }, whois: null, rdns: null,
      enrichment: { geo: { state: 'done', source: expect.stringMatching(/City/) as string }, asn: { state: 'done' }, whois: { state: 'disabled' }, rdns: { state: 'disabled' } },
    });
    expect(by.get(ONE)).toMatchObject({ geo: { country: 'GB', city: 'London' }, enrichment: { geo: { state: 'done' } } });
    expect(fake.queries).toHaveLength(0);

    const t = await cli('analyze', '--no-progress', '--mmdb', CITY, '--mmdb', ASN, log);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(new RegExp(`SRC:  ${SCANNER.replace(/\./g, '\\.')}[^\\n]*\\n(?:.*\\n)*?    Geo: SE, Linköping\\n    AS: AS29518 Bredband2 AB`));
    expect(t.out).toMatch(/Enrichment: geo done; asn done; whois disabled/);
  });

  it('with --whois asks the registry for sources from enrich.minDangerLevel up and reports the record', async () => {
    const cfg = join(tmp, 'pw.yaml');
    writeFileSync(cfg, `enrich:\n  whoisServers: [ripe=127.0.0.1:${fake.port}]\n  minDangerLevel: 2\n`);
    const r = await cli('analyze', '--config', cfg, '--json', '--no-progress', '--no-rdns', '--mmdb', CITY, '--whois', log);
    expect(r.code, r.err).toBe(0);
    const by = new Map((JSON.parse(r.out) as { sources: SourceProfile[] }).sources.map((s) => [s.ip, s]));
    expect(by.get(SCANNER)).toMatchObject({
      whois: { netname: 'TOR-EXIT', country: 'DE', abuse: 'abuse@for-privacy.net' },
      enrichment: { whois: { state: 'done' }, rdns: { state: 'disabled' } },
    });
    expect(by.get(ONE)!.enrichment.whois).toMatchObject({ state: 'skipped' });
    expect(fake.queries.map((q) => q.query)).toEqual([expect.stringContaining(SCANNER) as string]);

    const t = await cli('analyze', '--config', cfg, '--no-progress', '--no-rdns', '--mmdb', CITY, '--whois', log);
    expect(t.out).toMatch(/Whois \([^)]*\): TOR-EXIT, [^\n]*DE\n {8}Abuse: abuse@for-privacy\.net/);
    // --no-whois wins over --whois: switched off entirely
    const off = await cli('analyze', '--config', cfg, '--json', '--no-progress', '--no-whois', '--mmdb', CITY, '--whois', log);
    expect((JSON.parse(off.out) as { sources: SourceProfile[] }).sources.every((s) => s.enrichment.whois.state === 'disabled')).toBe(true);
  });
});
