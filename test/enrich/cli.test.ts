import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { FakeWhois } from './fake-whois.ts';
import { fixture, startFakeWhois } from './fake-whois.ts';

const CITY = new URL('../../fixtures/enrich/mmdb/GeoLite2-City-Test.mmdb', import.meta.url).pathname;
const ASN = new URL('../../fixtures/enrich/mmdb/GeoLite2-ASN-Test.mmdb', import.meta.url).pathname;
let fake: FakeWhois;
beforeAll(async () => { fake = await startFakeWhois((q) => (q === 'n + 8.8.8.8' ? { text: fixture('arin-multi.txt') } : { text: 'No match found for x.\n' })); });
afterAll(async () => { await fake.close(); });

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const w = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await main(argv), out };
  } finally {
    w.mockRestore();
    e.mockRestore();
  }
}

describe('geo and whois commands', () => {
  it('geo prints country, city, AS and provenance; exit codes 0, 1, 2', async () => {
    const r = await run(['geo', '--json', '--mmdb', CITY, '--mmdb', ASN, '81.2.69.142']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ip: '81.2.69.142', geo: { country: 'GB', city: 'London' }, geoState: { state: 'done' } });
    expect((await run(['geo', '--mmdb', CITY, '1.0.0.1', '--mmdb', ASN])).out).toMatch(/AS15169 Google Inc\./);
    expect((await run(['geo', '--mmdb', CITY, '10.0.0.1'])).code).toBe(1);
    expect((await run(['geo', '--mmdb', CITY, 'nope'])).code).toBe(2);
    expect((await run(['geo', '--bogus'])).code).toBe(2);
  });

  it('whois asks the given server and prints the most specific network', async () => {
    const r = await run(['whois', '8.8.8.8', '--whois-server', `127.0.0.1:${fake.port}`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/netname\s+GOGL/);
    expect(r.out).toMatch(/origin\s+AS15169/);
    expect(fake.queries.at(-1)!.query).toBe('n + 8.8.8.8');
    expect((await run(['whois', '8.8.4.4', '--whois-server', `127.0.0.1:${fake.port}`])).code).toBe(1);
    expect((await run(['whois', '8.8.8.8', '--no-whois'])).code).toBe(2);
  });
});
