// The search-tree walk over address bytes answers exactly what mmdb-lib's own text lookup answers, on real databases.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6 } from '../../src/domain/address.ts';
import { loadGeneration } from '../../src/enrich/geo/mmdb-file.ts';
import { planDatabases } from '../../src/enrich/geo/default-dbs.ts';

const fixture = (name: string): string => new URL(`../../fixtures/enrich/mmdb/${name}`, import.meta.url).pathname;
// MaxMind's test files (24- and 28-bit records, IPv6 trees with IPv4 data) and the bundled DB-IP/ASN files (IPv4 and
// IPv6 trees of millions of networks)
const files = [
  fixture('GeoLite2-City-Test.mmdb'), fixture('GeoLite2-ASN-Test.mmdb'), fixture('GeoLite2-Country-Test.mmdb'),
  fixture('GeoIP2-Anonymous-IP-Test.mmdb'), ...planDatabases({ mmdb: [], mmdbDirs: [], bundledGeo: true }).fallback,
];

// addresses near networks the test files hold, so that walks end at data as well as at "no data"
const near = ['81.2.69.142', '89.160.20.128', '216.160.83.56', '1.0.0.1', '2.125.160.216', '67.43.156.1', '2001:218::1', '2001:480::1', '2a02:cf40::1'];

describe('mmdb tree walk', () => {
  for (const path of files) {
    it(`matches mmdb-lib on ${path.split('/').pop() ?? path}`, () => {
      const g = loadGeneration(readFileSync(path), 'test');
      const check = (bytes: Uint8Array): void => {
        const text = bytes.length === 4 ? formatIpv4(bytes) : formatIpv6(bytes);
        // an IPv6 address in an IPv4 tree is refused before any lookup (mmdb-lib would walk its first 32 bits)
        if (bytes.length === 16 && g.ipVersion === 4) return;
        expect(g.find(bytes)).toEqual(g.reader.getWithPrefixLength(text));
      };
      for (const a of near) {
        const bytes = a.includes(':') ? ipv6Bytes(a) : Uint8Array.from(a.split('.').map(Number));
        check(bytes);
      }
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })), (b) => { check(b); }), { numRuns: 3000 });
    });
  }
});

function ipv6Bytes(text: string): Uint8Array {
  const [head = '', tail = ''] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const v = parseInt(g, 16); out[i * 2] = v >> 8; out[i * 2 + 1] = v & 0xff; });
  return out;
}
