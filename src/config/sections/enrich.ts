// Enrichment settings: geo/ASN databases, whois pacing and bounds, reverse DNS, the persistent queue and refresh ages.
import { section } from '../define.ts';

export const enrich = section('enrich', 'Enrichment (geo/ASN, whois, reverse DNS) and its queue', {
  mmdb: [] as string[],
  mmdbDirs: ['/usr/share/GeoIP', '/var/lib/GeoIP'],
  bundledGeo: true,
  mmdbCheckInterval: 60,
  whois: true,
  rdns: true,
  minDangerLevel: 2,
  queueSize: 200_000,
  geoBatch: 2000,
  whoisServers: [] as string[],
  whoisQps: ['arin=1', 'ripe=1', 'apnic=1', 'lacnic=0.2', 'afrinic=1', 'other=0.5'],
  whoisConcurrency: 1,
  whoisDailyCap: ['arin=5000', 'ripe=900', 'apnic=3000', 'lacnic=1000', 'afrinic=3000', 'other=500'],
  whoisCooldown: 6 * 3600,
  whoisDeadline: 10,
  whoisIdleTimeout: 5,
  whoisMaxBytes: 262_144,
  whoisMaxReferrals: 2,
  whoisRefresh: 30 * 86400,
  whoisCacheSize: 100_000,
  rdnsTimeout: 3,
  rdnsConcurrency: 4,
  rdnsMinTtl: 300,
  rdnsMaxTtl: 86400,
  rdnsNegativeTtl: 3600,
  retryBase: 30,
  retryMax: 6 * 3600,
  maxAttempts: 8,
}, {
  mmdb: {
    kind: 'paths', flag: 'mmdb', env: 'PROBEWATCH_MMDB',
    doc: 'MaxMind DB files (GeoLite2/GeoIP2 City, Country, ASN, Anonymous-IP, or ip-location-db files); the role of each is read from its metadata. Given files replace the bundled default.',
  },
  mmdbDirs: {
    kind: 'paths',
    doc: 'Directories searched for GeoLite2-*/GeoIP2-*.mmdb when `mmdb` is empty (geoipupdate writes there); empty disables the search.',
  },
  bundledGeo: {
    kind: 'bool',
    doc: 'When no database is configured or found, use the open DB-IP Lite city database and the RouteViews/DB-IP ASN database shipped with probewatch (CC BY 4.0); off leaves geo/ASN disabled instead.',
  },
  mmdbCheckInterval: {
    kind: 'duration', min: 1,
    doc: 'How often database files are checked for replacement (stat); a changed file is reloaded atomically and sources are refreshed. Shorter notices updates sooner at a tiny stat cost.',
  },
  whois: {
    kind: 'bool', flag: 'whois', env: 'PROBEWATCH_WHOIS',
    doc: 'Query the regional registries\' whois servers (--no-whois switches it off entirely, on every command).',
  },
  rdns: {
    kind: 'bool', flag: 'rdns', env: 'PROBEWATCH_RDNS',
    doc: 'Look up reverse DNS (PTR, forward-confirmed) for sources (--no-rdns switches it off entirely).',
  },
  minDangerLevel: {
    kind: 'int', min: 0, max: 5,
    doc: 'whois and reverse DNS only for sources at this danger level or above, so a spoofed-source flood cannot become millions of queries; geo/ASN is done for every source. Lower asks about more sources and spends registry quota faster.',
  },
  queueSize: {
    kind: 'int', min: 100, max: 50_000_000,
    doc: 'Rows the persistent enrichment queue may hold; when full, the lowest-danger, oldest rows are dropped first (they are still geo-enriched by the background sweep). Larger holds more pending work at a little disk cost.',
  },
  geoBatch: {
    kind: 'int', min: 1, max: 1_000_000,
    doc: 'Sources geo/ASN-enriched per write transaction; larger is faster per source but holds the write lock longer.',
  },
  whoisServers: {
    kind: 'list',
    doc: 'Override registry servers as REGISTRY=HOST[:PORT] (arin, ripe, apnic, lacnic, afrinic), e.g. a local mirror; referrals to a registry\'s well-known host go to the override too.',
  },
  whoisQps: {
    kind: 'list',
    doc: 'Queries per second per registry as REGISTRY=N (other = servers outside the five RIRs); higher answers faster but risks the registry\'s abuse limits.',
  },
  whoisConcurrency: {
    kind: 'int', min: 1, max: 64,
    doc: 'Queries in flight per registry; more hides latency, but registries count concurrent connections too.',
  },
  whoisDailyCap: {
    kind: 'list',
    doc: 'Queries per registry per UTC day as REGISTRY=N (RIPE blocks clients past about 1,000 personal-data queries a day); at the cap that registry waits for the next day.',
  },
  whoisCooldown: {
    kind: 'duration', min: 60,
    doc: 'After an access-denied answer (%ERROR:201) the registry is not asked anything for this long; querying on after a denial can make the block permanent.',
  },
  whoisDeadline: {
    kind: 'duration', min: 0.5, max: 300,
    doc: 'Whole-query deadline including referrals (whoiser\'s timeout is only an idle timeout); a slow-drip server is cut off here.',
  },
  whoisIdleTimeout: {
    kind: 'duration', min: 0.2, max: 300,
    doc: 'A whois connection silent for this long is closed; shorter frees stuck connections sooner, too short cuts slow registries.',
  },
  whoisMaxBytes: {
    kind: 'int', min: 1024, max: 64 * 1024 * 1024,
    doc: 'Bytes read from one whois answer at most; the connection is closed past it and the answer kept truncated. Bounds memory against hostile servers.',
  },
  whoisMaxReferrals: {
    kind: 'int', min: 0, max: 5,
    doc: 'Referrals followed per lookup (ARIN → another RIR, a RIR answering "not ours" → ARIN); rwhois referrals are recorded, not followed.',
  },
  whoisRefresh: {
    kind: 'duration', min: 3600,
    doc: 'A whois answer is reused (for every address of its netblock) for this long, then refreshed; longer spares registry quota, shorter follows reassignments sooner.',
  },
  whoisCacheSize: {
    kind: 'int', min: 100, max: 10_000_000,
    doc: 'Netblocks kept in the whois cache; the least recently fetched go first. Each keeps its raw answer (up to whoisMaxBytes).',
  },
  rdnsTimeout: {
    kind: 'duration', min: 0.1, max: 60,
    doc: 'Deadline of one reverse lookup including forward confirmation.',
  },
  rdnsConcurrency: {
    kind: 'int', min: 1, max: 256,
    doc: 'Reverse lookups in flight; more is faster against a slow resolver and heavier on it.',
  },
  rdnsMinTtl: {
    kind: 'duration', min: 0,
    doc: 'Shortest time a PTR answer is cached, whatever its TTL says (protects the resolver from zero-TTL records).',
  },
  rdnsMaxTtl: {
    kind: 'duration', min: 1,
    doc: 'Longest time a PTR answer is cached even when its TTL is longer.',
  },
  rdnsNegativeTtl: {
    kind: 'duration', min: 0,
    doc: 'How long "no PTR record" is remembered before asking again.',
  },
  retryBase: {
    kind: 'duration', min: 1,
    doc: 'First retry delay after a timeout or reset; it doubles per attempt with random jitter, up to retryMax.',
  },
  retryMax: {
    kind: 'duration', min: 1,
    doc: 'Longest retry delay after timeouts and resets.',
  },
  maxAttempts: {
    kind: 'int', min: 1, max: 100,
    doc: 'Attempts per provider before a source is marked failed (until the next refresh); more is more persistent, and costs quota on dead servers.',
  },
});
