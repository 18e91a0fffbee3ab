// API benchmark: GET /sources/{ip} against a 1,000,000-source store, under load from this (second) process with
// autocannon, beside a trivial route (/healthz) of the same server: p99 latency, requests/s and their ratio
// (targets: ratio >= 0.5, p99 < 5 ms); then the NDJSON feed export in profiles/s beside the raw SQLite read floor.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadDetectRules, newLineParser } from '../src/cli/detect-setup.ts';
import { CounterWriter } from '../src/cli/scan-session.ts';
import { resolve } from '../src/config/load.ts';
import { Detector } from '../src/detect/engine.ts';
import { canonicalIp } from '../src/domain/address.ts';
import { api as apiSection } from '../src/config/sections/api.ts';
import { enrich as enrichSection } from '../src/config/sections/enrich.ts';
import { systemClock } from '../src/domain/clock.ts';
import { openStore } from '../src/store/db.ts';
import { ScanCache } from '../src/store/scan-cache.ts';
import { apiStore } from '../src/store/queries/index.ts';
import { StoreProfileReader } from '../src/store/queries/profile-reader.ts';
import { detectCore } from '../src/service.ts';
import { line } from './detect-gen.ts';
import { buildDist, dist } from './lib/dist.ts';
import { DEFAULT_SPEC } from '../src/api/app.ts';
import { profileBodiesFromFile } from '../src/api/profile-body.ts';
import type * as DbModule from '../src/store/db.ts';
import type * as ServiceModule from '../src/service.ts';
import type * as ReaderModule from '../src/store/queries/profile-reader.ts';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_N ?? 1_000_000);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const EXPORT = Math.min(N, Number(process.env.BENCH_EXPORT ?? 200_000));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const TOKEN = 'bench-token-0123456789abcdef';
const dir = join(here, 'out', `api-store-v2-${N}`);

/** Address i: 2001:db8::/32 (documentation space), canonical text. */
const addr = (i: number): string => canonicalIp(`2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::${(1 + (i % 7)).toString(16)}`)!;

function buildStore(): void {
  if (existsSync(join(dir, 'READY'))) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t = performance.now();
  const db = openStore(dir);
  // real detection state: each source's packets go through the parser and the engine into the store, as serve does,
  // so a profile read walks the same tables (pairs, ports, signature hits, level history) a live store has
  const { config } = resolve([]);
  const cache = new ScanCache(db, { maxHot: config.detect.maxHotSources, memoryBudget: config.detect.memoryBudget * 1048576, notice: () => undefined });
  const detector = new Detector(loadDetectRules(config).rules, cache, 'timed');
  const parser = newLineParser(config);
  const counters = new CounterWriter();
  const st = db.prepare(`INSERT INTO enrich_state (ip, provider, state, fetched_at, source, data) VALUES (?, ?, 'done', ?, ?, ?)`);
  const countries = ['US', 'CN', 'RU', 'NL', 'DE', 'BR', 'IN', 'VN', 'KR', 'FR'];
  const kinds = ['syn', 'syn', 'syn', 'fin', 'udp', 'xmas', 'icmp', 'null'] as const;
  const sigPorts = [1433, 3389, 23, 5900, 1080, 445, 161, 22];
  const t0 = Date.UTC(2026, 0, 1);
  const CHUNK = 5_000;
  let lineNo = 0;
  for (let base = 0; base < N; base += CHUNK) {
    db.transaction(() => {
      for (let i = base; i < Math.min(N, base + CHUNK); i++) {
        const ip = addr(i);
        // 1-12 packets per source over a day, to 1-3 destinations, ports scattered, signature ports among them
        const first = t0 + Math.floor(i * (86_400_000 / N));
        const n = 1 + (Math.imul(i, 2654435761) >>> 0) % 12;
        for (let k = 0; k < n; k++) {
          const port = k % 3 === 0 ? sigPorts[(i + k) % sigPorts.length]! : 1 + ((i * 7 + k * 131) % 65_535);
          const text = line(first + k * 50, ip, `2001:db8:ffff::${(1 + ((i + k) % 3)).toString(16)}`, kinds[(i + k) % kinds.length]!, port, (i + k) & 0xffff);
          const r = parser.parse(text, ++lineNo);
          if (r.kind === 'packet') detector.ingest(r.event);
        }
      }
      // the sources rows exist once the cache is flushed; enrichment rows refer to them
      cache.flush();
      for (let i = base; i < Math.min(N, base + CHUNK); i++) {
        const ip = addr(i);
        const first = t0 + Math.floor(i * (86_400_000 / N));
        const cc = countries[i % countries.length]!;
        st.run(ip, 'geo', first, 'GeoLite2-City', JSON.stringify({ country: cc, countryName: null, city: `City ${i % 97}`, latitude: 10 + (i % 50), longitude: 20 + (i % 60) }));
        st.run(ip, 'asn', first, 'GeoLite2-ASN', JSON.stringify({ number: 64_500 + (i % 500), organization: `Example Network ${i % 500}`, network: null }));
      }
      counters.save(cache.repo, detector.totals);
      cache.repo.setMeta('engine', detector.meta);
    })();
    if (base % 100_000 === 0) process.stderr.write(`  store: ${base.toLocaleString('en')} sources, ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }
  db.transaction(() => {
    detector.finish();
    cache.flush();
    counters.save(cache.repo, detector.totals);
  })();
  const built = (performance.now() - t) / 1000;
  // the search index (lists, stats, blocklist) as serve builds it from the outbox, timed
  const t1 = performance.now();
  const bodies = profileBodiesFromFile(DEFAULT_SPEC, enrichSection.defaults);
  const { indexer, docs } = apiStore(db, new StoreProfileReader(db, detectCore(db), enrichSection.defaults), { ...apiSection.defaults, indexBatch: 5000 }, systemClock, bodies);
  docs?.adopt();
  indexer.catchUp();
  const indexSecs = (performance.now() - t1) / 1000;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  writeFileSync(join(dir, 'READY'), `${N}\n${Math.round(N / indexSecs)}\n`);
  process.stdout.write(`built a ${N}-source store in ${built.toFixed(1)} s (${dir}); search index built in ${indexSecs.toFixed(1)} s = ${Math.round(N / indexSecs)} sources/s\n`);
}

/**
 * The stored GET bodies (api.profileDocs) as serve keeps them: a store built before they existed, or under another
 * schema, gets them from the background rebuild serve runs; here it runs to the end before the server starts.
 */
function ensureDocs(): void {
  const db = openStore(dir);
  try {
    const bodies = profileBodiesFromFile(DEFAULT_SPEC, enrichSection.defaults);
    const { indexer, docs } = apiStore(db, new StoreProfileReader(db, detectCore(db), enrichSection.defaults), apiSection.defaults, systemClock, bodies);
    if (!docs) return;
    docs.adopt();
    const t = performance.now();
    let written = 0;
    for (let r = indexer.rebuildDocs(2000); ; r = indexer.rebuildDocs(2000)) {
      written += r.written;
      if (written > 0 && written % 100_000 < r.written) process.stderr.write(`  stored bodies: ${written.toLocaleString('en')}, ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
      if (r.done) break;
    }
    if (written > 0) {
      const secs = (performance.now() - t) / 1000;
      process.stdout.write(`stored bodies rebuilt for ${written} sources in ${secs.toFixed(1)} s = ${Math.round(written / secs)} sources/s\n`);
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
  } finally {
    db.close();
  }
}

async function startServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'api-bench-server.ts'), dir, TOKEN], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (c) => { reject(new Error(`server exited ${String(c)}`)); });
  });
  return {
    port: Number(line),
    stop: () => new Promise((r) => { child.once('exit', () => { r(); }); child.kill('SIGTERM'); }),
  };
}

interface Run { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function load(port: number, path: (i: number) => string, headers: Record<string, string>): Promise<Run> {
  let k = 0;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: DURATION,
    headers,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, path: path(k++) }) }],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

buildStore();
ensureDocs();
// the server and the in-process floor run the compiled code, as `probewatch serve` does
buildDist();
// a serving machine keeps its store in the page cache; read it once so the first run does not measure the disk
const warm = (): number => {
  const fd = openSync(join(dir, 'probewatch.sqlite'), 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let total = 0;
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) total += n;
  closeSync(fd);
  return total;
};
const tw = performance.now();
process.stdout.write(`page cache warmed: ${(warm() / 1048576).toFixed(0)} MB in ${((performance.now() - tw) / 1000).toFixed(1)} s\n`);
const server = await startServer();
try {
  const auth = { authorization: `Bearer ${TOKEN}` };
  // warm-up: JIT, and SQLite's page cache (api.storeCacheMb) as a server that has been answering for a while has it —
  // random profiles other than the measured ones (the measured walk starts at address 0; this one far from it)
  await load(server.port, () => '/healthz', {});
  await load(server.port, (i) => `/sources/${addr((Math.imul(i + 500_000_003, 2654435761) >>> 0) % N)}`, { authorization: `Bearer ${TOKEN}` });
  // a multiplicative hash walks the million addresses in a scattered order
  const profile = await load(server.port, (i) => `/sources/${addr((Math.imul(i, 2654435761) >>> 0) % N)}`, auth);
  // a dashboard-like working set: the 10,000 most recently active sources, asked for again and again (one pass first:
  // a working set is what was asked for before, so its bodies are in the profile cache when the measured run starts)
  const HOT = Math.min(N, 10_000);
  for (let i = 0; i < HOT; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, HOT - i) }, async (_x, k) => {
      await (await fetch(`http://127.0.0.1:${server.port}/sources/${addr(i + k)}`, { headers: auth })).arrayBuffer();
    }));
  }
  const hot = await load(server.port, (i) => `/sources/${addr((Math.imul(i, 2654435761) >>> 0) % Math.min(N, 10_000))}`, auth);
  const trivial = await load(server.port, () => '/healthz', {});
  const ratio = profile.rps / trivial.rps;
  // list queries a dashboard makes (sequential, one connection: latency per query)
  const lists: [string, string][] = [
    ['/sources?limit=100', 'newest 100'],
    ['/sources?minDangerLevel=3&limit=100', 'level >= 3, newest 100'],
    ['/sources?sort=-dangerLevel&limit=100', 'most dangerous 100'],
    ['/sources?country=NL&limit=100', 'one country, newest 100'],
    ['/sources?port=tcp/22&limit=100', 'one port, newest 100'],
    ['/stats', 'stats (uncached)'],
  ];
  const listRows: string[] = [];
  for (const [path, what] of lists) {
    const ms: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${server.port}${path}${path.includes('?') ? '&' : '?'}${path.startsWith('/stats') ? `top=${10 + (i % 5)}` : ''}`, { headers: auth });
      await r.arrayBuffer();
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    listRows.push(`${what.padEnd(26)} p50 ${ms[15]!.toFixed(1)} ms   max ${ms[29]!.toFixed(1)} ms   (${path})`);
  }
  const row = (name: string, r: Run): string => `${name.padEnd(26)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   errors ${r.errors}, non-2xx ${r.non2xx}`;
  process.stdout.write(`\nGET with ${CONNECTIONS} connections for ${DURATION}s each, ${N} sources in the store:\n`);
  process.stdout.write(`${row('GET /sources/{ip} (all)', profile)}\n${row('GET /sources/{ip} (10k)', hot)}\n${row('GET /healthz (trivial)', trivial)}\n`);
  process.stdout.write(`ratio profile/trivial: ${ratio.toFixed(2)} over all ${N} sources, ${(hot.rps / trivial.rps).toFixed(2)} over a 10,000-source working set`
    + ` (target >= 0.5)   p99 ${profile.p99.toFixed(2)} / ${hot.p99.toFixed(2)} ms (target < 5 ms)\n`);
  process.stdout.write(`\nlist and stats queries over ${N} indexed sources (30 sequential requests each):\n${listRows.join('\n')}\n`);

  // NDJSON export through the feed, page after page as a SIEM backfill would read it
  const t = performance.now();
  let lines = 0;
  let cursor = '';
  while (lines < EXPORT) {
    const res = await fetch(`http://127.0.0.1:${server.port}/feed?format=ndjson&limit=10000${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth });
    const text = await res.text();
    lines += text.length === 0 ? 0 : text.split('\n').length - 1;
    cursor = res.headers.get('x-resume-cursor') ?? '';
    if (!res.headers.get('x-next-page-cursor')) break;
  }
  const exportSecs = (performance.now() - t) / 1000;
  // the floors, in-process without HTTP or the feed: the same profiles' stored bodies read (what the export does per
  // profile), and the same profiles composed and serialised (what it did before bodies were stored)
  const built = {
    ...(await dist<typeof DbModule>('store/db')), ...(await dist<typeof ServiceModule>('service')), ...(await dist<typeof ReaderModule>('store/queries/profile-reader')),
  };
  const db = built.openStore(dir, { readonly: true, cacheMb: apiSection.defaults.storeCacheMb });
  const reader = new built.StoreProfileReader(db, built.detectCore(db), enrichSection.defaults);
  const ips = db.prepare('SELECT ip FROM profile_changes ORDER BY seq LIMIT ?').pluck().all(lines) as string[];
  const version = db.prepare<[string], number>('SELECT version FROM sources WHERE ip = ?').pluck();
  const body = db.prepare<[string], { version: number; body: Buffer }>('SELECT version, body FROM api_profile_docs WHERE ip = ?');
  const t3 = performance.now();
  let stored = 0;
  for (const ip of ips) {
    const b = body.get(ip);
    if (b && b.version === version.get(ip)) stored += b.body.length;
  }
  const storedSecs = (performance.now() - t3) / 1000;
  const t2 = performance.now();
  let bytes = 0;
  for (const ip of ips) bytes += JSON.stringify(reader.read(ip)).length;
  const floorSecs = (performance.now() - t2) / 1000;
  db.close();
  process.stdout.write(`\nNDJSON feed export: ${lines} profiles in ${exportSecs.toFixed(2)} s = ${Math.round(lines / exportSecs)} profiles/s`
    + ` (in-process floors: stored bodies read ${Math.round(ips.length / storedSecs)} profiles/s, ${(stored / ips.length).toFixed(0)} B/profile;`
    + ` composed and serialised ${Math.round(ips.length / floorSecs)} profiles/s, ${(bytes / ips.length).toFixed(0)} B/profile;`
    + ` export at ${((lines / exportSecs) / (ips.length / storedSecs)).toFixed(2)}x the stored-body floor)\n`);
} finally {
  await server.stop();
}
